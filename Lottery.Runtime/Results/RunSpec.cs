using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Training;

namespace Lottery.Results;

/// <summary>
/// Everything that decides what one run computes: the model, the data, how it trains, how it prunes, its
/// seed, and for the re-initialisation control the run whose mask it trains. Two runs with equal specs
/// compute the same figures, so a finished run is found by its spec's hash (<see cref="Id"/>) and never
/// computed again.
/// </summary>
public sealed record RunSpec
{
    /// <summary>Bumped when the code changes what a run with the same settings computes; old results are then not reused.</summary>
    public const int CurrentFormat = 1;

    /// <summary>See <see cref="CurrentFormat"/>.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The model's name (its class and declared prunable layers decide the rest).</summary>
    public required string Model { get; init; }

    /// <summary>The data set.</summary>
    public required string DataSet { get; init; }

    /// <summary>Training images held out for validation.</summary>
    public required int ValidationCount { get; init; }

    /// <summary>How the run trains, its seed included.</summary>
    public required TrainingSettings Training { get; init; }

    /// <summary>The method of the comparison this run belongs to.</summary>
    public required ComparisonMethod Method { get; init; }

    /// <summary>The schedule's name: Dense, Iterative, EveryEpoch, FixedMask, Gradual or OneShot.</summary>
    public required string Schedule { get; init; }

    /// <summary>The criterion's name, or null for a dense run or a fixed mask.</summary>
    public string? Criterion { get; init; }

    /// <summary>What happens after each pruning event: None or ToInit.</summary>
    public string Rewind { get; init; } = "None";

    /// <summary>The schedule's rate (layers with their own declared rate keep it).</summary>
    public double Rate { get; init; }

    /// <summary>The weights remaining the schedule stops at (1 for dense).</summary>
    public double TargetRemaining { get; init; } = 1;

    /// <summary>Pruning rounds of an iterative schedule.</summary>
    public int Rounds { get; init; }

    /// <summary>The last epoch after which a one-run schedule may prune.</summary>
    public int EndEpoch { get; init; }

    /// <summary>The IMP round whose weights remaining this run is matched to (0 for none).</summary>
    public int MatchedRound { get; init; }

    /// <summary>For a fixed mask: the run whose mask it trains.</summary>
    public string? MaskFrom { get; init; }

    /// <summary>For a fixed mask: the round of <see cref="MaskFrom"/> whose mask it trains.</summary>
    public int MaskRound { get; init; }

    /// <summary>Seeds the initial weights when they differ from the training seed (random re-initialisation).</summary>
    public long? InitSeed { get; init; }

    /// <summary>The folder name: readable parts, then 16 hex digits of the SHA-256 of the settings.</summary>
    [JsonIgnore]
    public string Id
    {
        get
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..16];
            var point = MatchedRound > 0 ? $"-r{MatchedRound}" : string.Empty;
            return $"{Method}{point}-s{Training.Seed}-{hash}".ToLowerInvariant();
        }
    }

    /// <summary>The settings as indented JSON (what <c>settings.json</c> holds and the hash covers).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AtomicFile.Json);
}
