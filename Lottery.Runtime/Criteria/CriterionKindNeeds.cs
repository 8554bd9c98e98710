// One home for what each built-in criterion needs: compiled into Lottery.Runtime (each criterion's Needs, PruningMethod's
// check of AtInit schedules) and into Lottery.Generators (LTH0029, and whether ScoringBatchSize applies), so the
// compiler and the run cannot disagree.
using System.Collections.Generic;
using System.Linq;
#if LOTTERY_GENERATOR
using Lottery.Generators.Vocabulary;
#endif

namespace Lottery.Criteria;

/// <summary>What each built-in criterion (<see cref="CriterionKind"/>) needs beyond the weights, and why it needs training when it does.</summary>
internal static class CriterionKindNeeds
{
    private static readonly Dictionary<CriterionKind, (CriterionNeeds Needs, string? WhyTraining)> Table = new()
    {
        [CriterionKind.Magnitude] = (CriterionNeeds.None, null),
        [CriterionKind.LeastChange] = (CriterionNeeds.Training, "every |w - w0| is 0 before training"),
        [CriterionKind.MagnitudeIncrease] = (CriterionNeeds.Training, "every |w| - |w0| is 0 before training"),
        [CriterionKind.Random] = (CriterionNeeds.None, null),
        [CriterionKind.Snip] = (CriterionNeeds.Model | CriterionNeeds.Data, null),
        [CriterionKind.SynFlow] = (CriterionNeeds.Model, null),
        [CriterionKind.Movement] = (CriterionNeeds.Training, "it sums -w * g over the training steps"),
    };

    /// <summary>What <paramref name="kind"/> needs.</summary>
    public static CriterionNeeds Of(CriterionKind kind) => Table[kind].Needs;

    /// <summary>Why <paramref name="kind"/> cannot score before training; null when it can.</summary>
    public static string? WhyTrainingFirst(CriterionKind kind) => Table[kind].WhyTraining;

    /// <summary>The criteria that score on a batch of training data, in <see cref="CriterionKind"/>'s order.</summary>
    public static IReadOnlyList<CriterionKind> ScoringOnData { get; } = Table.Where(e => (e.Value.Needs & CriterionNeeds.Data) != 0).Select(e => e.Key).OrderBy(k => k).ToList();
}
