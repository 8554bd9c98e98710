using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Results;

/// <summary>What decides a model's part in a result: its class, its parameters' names and shapes, and how its layers are masked.</summary>
/// <param name="Class">The model's full type name.</param>
/// <param name="Parameters">Every parameter and buffer but the masks, as <c>name [shape] dtype</c>, in registration order.</param>
/// <param name="Masked">Every masked parameter with its own rate, criterion or none, and its structure when it has one (the declared layer table), in mask order.</param>
public sealed record ModelIdentity(string Class, IReadOnlyList<string> Parameters, IReadOnlyList<string> Masked)
{
    /// <summary>Describes <paramref name="model"/> with <paramref name="masks"/> attached (null: a model with no masks).</summary>
    public static ModelIdentity Of(nn.Module model, MaskSet? masks)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.named_parameters().Select(p => (p.name, p.parameter as Tensor))
            .Concat(model.named_buffers().Where(b => !MaskSet.IsMaskBuffer(b.name)).Select(b => (b.name, b.buffer)))
            .Select(p => $"{p.Item1} [{string.Join(", ", p.Item2.shape)}] {p.Item2.dtype}")
            .ToList();
        var masked = masks?.Weights.Select(w =>
            $"{w.Name} rate {(w.Rate is { } rate ? rate.ToString("R", CultureInfo.InvariantCulture) : "method")} criterion {w.Criterion?.Name ?? "method"}"
            + (w.Structure == Structure.Unstructured ? string.Empty : $" structure {w.Structure}")).ToList() ?? [];
        return new ModelIdentity(model.GetType().FullName ?? model.GetType().Name, parameters, masked);
    }

    /// <inheritdoc/>
    public bool Equals(ModelIdentity? other) =>
        other is not null && Class == other.Class && Parameters.SequenceEqual(other.Parameters) && Masked.SequenceEqual(other.Masked);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Class, Parameters.Count, Masked.Count);
}

/// <summary>What decides the data's part in a result.</summary>
/// <param name="Name">The data source's name.</param>
/// <param name="ContentHash">The hash of its content (<see cref="Data.IDataSource.ContentHash"/>).</param>
/// <param name="ValidationCount">Training examples held out for validation.</param>
public sealed record DataIdentity(string Name, string ContentHash, int ValidationCount);

/// <summary>A mask a run trains from instead of pruning: another run's mask after one of its rounds.</summary>
/// <param name="Run">The other run's id (which covers everything that decided that run).</param>
/// <param name="Round">Its round whose final mask is used.</param>
/// <param name="ShuffleSeed">
/// When given, each layer's mask entries are shuffled with a generator of this seed before training: the same
/// sparsity per layer at random positions (random pruning to the same point). Null: the mask as it is.
/// </param>
public sealed record StartMask(string Run, int Round, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ShuffleSeed = null);

/// <summary>The weights a run starts from instead of its own initialisation: another run's weights after an epoch of its first round.</summary>
/// <param name="Run">The other run's id.</param>
/// <param name="Epoch">The epoch after which they were saved.</param>
public sealed record StartWeights(string Run, int Epoch);

/// <summary>
/// A run's identity: everything that decides what it computes. The model (class, parameter shapes, masked layers
/// with their rates and criteria), the data (its content's hash and the validation split), the training settings
/// (seed and loss included), the pruning method, the numerics profile, the mask it starts from, and the code's format version. Two runs
/// with equal specs compute the same figures, so a finished run is found by its spec's hash (<see cref="Id"/>)
/// and never computed again; change any part and the run is trained again.
/// </summary>
public sealed record RunSpec
{
    /// <summary>
    /// Bumped when the code changes what a run with the same settings computes or keeps; old results are then not
    /// reused. 3: a finished run keeps each round's ticket and pruned model in sparse files (<c>rounds/</c>) instead
    /// of its masks alone. 4: the numerics profile is part of the identity.
    /// </summary>
    public const int CurrentFormat = 4;

    /// <summary>See <see cref="CurrentFormat"/>.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The arm the run belongs to: it names the run's folder but is not part of what decides its result.</summary>
    [JsonIgnore]
    public string Arm { get; init; } = "run";

    /// <summary>The point it was run for (0: none): names the folder only.</summary>
    [JsonIgnore]
    public int Point { get; init; }

    /// <summary>The model.</summary>
    public required ModelIdentity Model { get; init; }

    /// <summary>The data.</summary>
    public required DataIdentity Data { get; init; }

    /// <summary>How the run trains, its seed included.</summary>
    public required TrainingSettings Training { get; init; }

    /// <summary>How it prunes.</summary>
    public required PruningMethod Method { get; init; }

    /// <summary>
    /// The kernels LibTorch computed with (<see cref="Native.Numerics.Identity"/>): the portable profile's, the same on every
    /// machine, or a native run's CPU and kernels, so that a result is never read back by a run of another profile.
    /// </summary>
    public required string Numerics { get; init; }

    /// <summary>The mask it trains (a control), or null.</summary>
    public StartMask? StartMask { get; init; }

    /// <summary>The weights it starts from (a control rewinding to a run's epoch), or null for its own initialisation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StartWeights? StartWeights { get; init; }

    /// <summary>The folder name: the arm, point and seed for people, then 16 hex digits of the SHA-256 of <see cref="ToJson"/>.</summary>
    [JsonIgnore]
    public string Id
    {
        get
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..16];
            var point = Point > 0 ? $"-p{Point}" : string.Empty;
            var arm = new string(Arm.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? char.ToLowerInvariant(c) : '-').ToArray());
            return FormattableString.Invariant($"{arm}{point}-s{Training.Seed}-{hash}");
        }
    }

    /// <summary>The identity as indented JSON (what <c>settings.json</c> holds and the hash covers).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AtomicFile.Json);
}
