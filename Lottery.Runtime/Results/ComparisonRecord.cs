using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Training;

namespace Lottery.Results;

/// <summary>What a comparison ran: written to <c>comparison.json</c> before any run trains, read back to re-render the report.</summary>
public sealed record ComparisonRecord
{
    /// <summary>The file name inside the comparison's folder.</summary>
    public const string FileName = "comparison.json";

    /// <summary>The comparison's name.</summary>
    public required string Name { get; init; }

    /// <summary>The model.</summary>
    public required string Model { get; init; }

    /// <summary>The data set.</summary>
    public required string DataSet { get; init; }

    /// <summary>How every run trains (the seed aside).</summary>
    public required TrainingSettings Training { get; init; }

    /// <summary>The seeds.</summary>
    public required IReadOnlyList<long> Seeds { get; init; }

    /// <summary>The pruning rate.</summary>
    public required double Rate { get; init; }

    /// <summary>IMP's rounds.</summary>
    public required int ImpRounds { get; init; }

    /// <summary>The IMP rounds the one-run methods are matched to.</summary>
    public required IReadOnlyList<int> MatchedRounds { get; init; }

    /// <summary>Epochs at the end of a one-run method with no pruning.</summary>
    public required int RecoveryEpochs { get; init; }

    /// <summary>The methods, in the order given.</summary>
    public required IReadOnlyList<ComparisonMethod> Methods { get; init; }

    /// <summary>Every run, in the order they run.</summary>
    public required IReadOnlyList<RecordedRun> Runs { get; init; }

    /// <summary>The record of a planned comparison.</summary>
    public static ComparisonRecord From(ComparisonSettings settings, IReadOnlyList<PlannedRun> plan)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plan);
        return new ComparisonRecord
        {
            Name = settings.Name,
            Model = settings.Model,
            DataSet = settings.DataSet,
            Training = settings.Training,
            Seeds = settings.Seeds,
            Rate = settings.Rate,
            ImpRounds = settings.ImpRounds,
            MatchedRounds = settings.MatchedRounds,
            RecoveryEpochs = settings.RecoveryEpochs,
            Methods = settings.Methods.Distinct().ToList(),
            Runs = plan.Select(p => new RecordedRun(p.Spec.Id, p.Spec.Method, p.Spec.Schedule, p.Spec.Criterion ?? string.Empty, p.Spec.Rewind, p.Spec.Training.Seed, p.Spec.MatchedRound)).ToList(),
        };
    }
}

/// <summary>One run of a comparison, as its report needs it.</summary>
/// <param name="Id">Its folder under <c>runs/</c>.</param>
/// <param name="Method">The method.</param>
/// <param name="Schedule">The schedule's name.</param>
/// <param name="Criterion">The criterion's name (empty for dense and fixed masks).</param>
/// <param name="Rewind">None or ToInit.</param>
/// <param name="Seed">The training seed.</param>
/// <param name="MatchedRound">The IMP round it is matched to (0: none).</param>
public sealed record RecordedRun(string Id, ComparisonMethod Method, string Schedule, string Criterion, string Rewind, long Seed, int MatchedRound);
