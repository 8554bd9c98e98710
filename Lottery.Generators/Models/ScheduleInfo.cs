using Lottery.Generators.Vocabulary;
using Lottery.Schedules;

namespace Lottery.Generators.Models;

/// <summary>A [PruneSchedule] declaration, with every value resolved (defaults applied).</summary>
/// <param name="Name">The schedule's name (a C# identifier).</param>
/// <param name="Kind">The schedule kind.</param>
/// <param name="Rate">The rate.</param>
/// <param name="TargetRemaining">The target, or null when not given.</param>
/// <param name="StartEpoch">The start epoch, or null when not given.</param>
/// <param name="EndEpoch">The end epoch, or null when not given.</param>
/// <param name="Rounds">Iterative rounds, or null when not given.</param>
/// <param name="InitialSparsity">Gradual's initial sparsity.</param>
/// <param name="Scope">A PruningScope name.</param>
/// <param name="Criterion">A CriterionKind name.</param>
/// <param name="Rewind">A RewindKind name.</param>
/// <param name="RewindEpoch">The epoch for RewindKind.ToEpoch.</param>
/// <param name="EarlyBirdDistance">Early-Bird's stop threshold, or null for no stop.</param>
/// <param name="EarlyBirdEpochs">Early-Bird's epochs in a row.</param>
/// <param name="Regrowth">DynamicSparse: how it regrows; null for other kinds.</param>
/// <param name="DropFraction">DynamicSparse: the first update's drop fraction.</param>
/// <param name="UpdateEvery">DynamicSparse: batches between updates.</param>
/// <param name="CriterionName">A criterion of the user's own, by its registered name, or null.</param>
/// <param name="Groups">Whether the schedule prunes by dependency groups.</param>
/// <param name="Epochs">The schedule's own epochs of training in an experiment, or null for the experiment's.</param>
/// <param name="ScoringBatchSize">
/// The batch of a criterion that scores on data, when the schedule's criterion or a layer's does (the declared value, or
/// 100); null when no criterion of the schedule scores on data.
/// </param>
internal sealed record ScheduleInfo(
    string Name,
    ScheduleKind Kind,
    double Rate,
    double? TargetRemaining,
    int? StartEpoch,
    int? EndEpoch,
    int? Rounds,
    double InitialSparsity,
    string Scope,
    string Criterion,
    string Rewind,
    int RewindEpoch,
    double? EarlyBirdDistance = null,
    int EarlyBirdEpochs = 5,
    int? ScoringBatchSize = null,
    int? Epochs = null,
    RegrowthKind? Regrowth = null,
    double DropFraction = 0.3,
    int UpdateEvery = 100,
    string? CriterionName = null,
    bool Groups = false)
{
    /// <summary>With groups: each group keeps a multiple of this many units; null for no rounding.</summary>
    public int? RoundTo { get; init; }

    /// <summary>The values its kind's rules read (<see cref="ScheduleDescriptor"/>).</summary>
    public ScheduleValues Values => new(Kind, Rate, TargetRemaining, StartEpoch, EndEpoch, Rounds, InitialSparsity, Regrowth, DropFraction, UpdateEvery);

    /// <summary>The rules of its kind.</summary>
    public ScheduleDescriptor Descriptor => ScheduleDescriptor.Of(Kind);
}
