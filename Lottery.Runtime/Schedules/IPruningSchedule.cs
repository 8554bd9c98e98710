using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>Where a run stands when a schedule is asked whether to prune.</summary>
/// <param name="Round">The training round (0 for the first, dense, round).</param>
/// <param name="Epoch">Epochs completed in this round (1 after the first epoch; 0 before the round trains).</param>
/// <param name="EpochsPerRound">Epochs each round trains for.</param>
/// <param name="WeightsRemaining">Fraction of prunable weights remaining now.</param>
public readonly record struct PruningProgress(int Round, int Epoch, int EpochsPerRound, double WeightsRemaining);

/// <summary>
/// Decides when the model is pruned and how much; the criterion decides which weights go.
/// A new schedule is one class implementing this interface.
/// </summary>
public interface IPruningSchedule
{
    /// <summary>The name used in settings and reports (for example <c>Iterative</c>).</summary>
    string Name { get; }

    /// <summary>The base rate: the fraction of remaining weights a regular pruning event removes.</summary>
    double Rate { get; }

    /// <summary>The fraction of prunable weights the schedule aims to leave.</summary>
    double TargetRemaining { get; }

    /// <summary>
    /// Called before each round's first epoch, after the previous round's pruning and rewinding; returns how much to
    /// prune before the round trains, or null (the default: only pruning at initialisation prunes there).
    /// </summary>
    PruningAmount? BeforeRound(PruningProgress progress) => null;

    /// <summary>Called after every epoch; returns how much to prune now, or null to leave the model as it is.</summary>
    PruningAmount? AfterEpoch(PruningProgress progress);

    /// <summary>
    /// Called after every round of training; returns how much to prune before another round starts, or
    /// null when training is finished.
    /// </summary>
    PruningAmount? AfterRound(PruningProgress progress);
}
