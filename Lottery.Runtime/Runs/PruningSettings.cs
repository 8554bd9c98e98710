using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Schedules;

namespace Lottery.Runs;

/// <summary>How a run prunes: schedule (when, how much), criterion (which), scope, rewinding and the masked layers.</summary>
public sealed record PruningSettings
{
    /// <summary>The schedule, or null for a dense run with no masks at all.</summary>
    public IPruningSchedule? Schedule { get; init; }

    /// <summary>Which weights go at each pruning event.</summary>
    public IPruningCriterion Criterion { get; init; } = PruningCriteria.Magnitude;

    /// <summary>Layerwise or global.</summary>
    public PruningScope Scope { get; init; } = PruningScope.Layerwise;

    /// <summary>What happens to the surviving weights after a pruning event.</summary>
    public Rewind Rewind { get; init; } = Rewind.ToInit;

    /// <summary>
    /// Which layers are pruned, at which rates, by name; null means the model's own declarations (a model
    /// generated from <see cref="PrunableAttribute"/>s) or, for any other model, every Linear and Conv layer.
    /// </summary>
    public MaskOptions? Masks { get; init; }

    /// <summary>Per-layer rates and criteria applied on top of the masked layers' own (by layer name), for example from a <see cref="PruningMethod"/>.</summary>
    public IReadOnlyList<LayerOverride> LayerOverrides { get; init; } = [];

    /// <summary>
    /// Seeds the initial weights when they must differ from <see cref="Training.TrainingSettings.Seed"/> (which
    /// still seeds the batch order and random pruning): the random re-initialisation control trains a
    /// ticket's mask from weights the ticket never had. Null: the training seed.
    /// </summary>
    public long? InitSeed { get; init; }

    /// <summary>Early-Bird's stop for a schedule that prunes during the run (<see cref="EarlyBirdStop"/>); null: none.</summary>
    public EarlyBirdStop? EarlyBird { get; init; }

    /// <summary>
    /// The number of training examples in the batch a criterion that scores on data draws at each pruning event (SNIP);
    /// criteria that need no data ignore it.
    /// </summary>
    public int ScoringBatchSize { get; init; } = PruningContext.DefaultScoringBatchSize;

    /// <summary>
    /// Whether the masked layers are pruned by the units of their dependency groups (<see cref="MaskSet.UseGroups"/>): the run uses
    /// <see cref="DependencyGroups"/> when given, or traces them on its first training example when it starts.
    /// </summary>
    public bool Groups { get; init; }

    /// <summary>
    /// With groups: each group keeps a multiple of this many units after an event by rate (Layerwise; <see cref="PruningMethod.RoundTo"/>);
    /// 1: no rounding.
    /// </summary>
    public int RoundTo { get; init; } = 1;

    /// <summary>
    /// Groups to prune by, traced or built already (on any model of the run's class, or <see cref="Lottery.Groups.DependencyGroups.Attention"/>):
    /// given, they are used whatever <see cref="Groups"/> says; null: with <see cref="Groups"/>, the run traces them.
    /// </summary>
    public Lottery.Groups.DependencyGroups? DependencyGroups { get; init; }

    /// <summary>A dense run: no pruning.</summary>
    public static PruningSettings Dense { get; } = new();

    /// <summary>A one-line description for reports, for example <c>Iterative(20%) Magnitude Layerwise rewind ToInit</c>.</summary>
    public override string ToString() =>
        Schedule is null ? "Dense" : FormattableString.Invariant($"{Schedule.Name}({Schedule.Rate * 100:0.#}%) {Criterion.Name} {Scope} rewind {Rewind}");
}
