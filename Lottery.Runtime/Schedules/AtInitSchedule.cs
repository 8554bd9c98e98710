using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>
/// Pruning at initialisation: prunes once, straight to <see cref="TargetRemaining"/>, before the first epoch, then
/// trains the mask (SNIP, Lee et al. 2019; SynFlow, Tanaka et al. 2020). Only criteria that can score untrained weights
/// fit it: Snip, SynFlow, Magnitude and Random, not those that need training (<see cref="Criteria.CriterionNeeds.Training"/>).
/// </summary>
public sealed class AtInitSchedule : IPruningSchedule
{
    /// <summary>Creates the schedule.</summary>
    public AtInitSchedule(double targetRemaining, double rate = 0.2)
    {
        TargetRemaining = ScheduleValidation.Target(targetRemaining);
        Rate = ScheduleValidation.Rate(rate);
    }

    /// <inheritdoc/>
    public string Name => nameof(ScheduleKind.AtInit);

    /// <summary>The reference rate that per-layer rates are compared with.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public double TargetRemaining { get; }

    /// <inheritdoc/>
    public PruningAmount? BeforeRound(PruningProgress progress) =>
        progress.Round == 0 && progress.WeightsRemaining > TargetRemaining + 1e-12 ? PruningAmount.ToRemaining(TargetRemaining, Rate) : null;

    /// <inheritdoc/>
    public PruningAmount? AfterEpoch(PruningProgress progress) => null;

    /// <inheritdoc/>
    public PruningAmount? AfterRound(PruningProgress progress) => null;
}
