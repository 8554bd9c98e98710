using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>
/// The seed hypothesis: inside one training run, prune <see cref="Rate"/> of the remaining weights after
/// every epoch from <see cref="StartEpoch"/> to <see cref="EndEpoch"/>, stopping at <see cref="TargetRemaining"/>.
/// The last event removes only what is left to reach the target, so a run with enough epochs ends at
/// the target exactly.
/// </summary>
public sealed class EveryEpochSchedule : IPruningSchedule
{
    /// <summary>Creates the schedule.</summary>
    public EveryEpochSchedule(double rate, double targetRemaining, int startEpoch = 1, int endEpoch = int.MaxValue)
    {
        Rate = ScheduleValidation.Rate(rate);
        TargetRemaining = ScheduleValidation.Target(targetRemaining);
        StartEpoch = ScheduleValidation.Epoch(startEpoch, nameof(startEpoch));
        EndEpoch = ScheduleValidation.Epoch(endEpoch, nameof(endEpoch));
        ScheduleValidation.Order(StartEpoch, EndEpoch, nameof(startEpoch));
    }

    /// <inheritdoc/>
    public string Name => nameof(ScheduleKind.EveryEpoch);

    /// <inheritdoc/>
    public double Rate { get; }

    /// <inheritdoc/>
    public double TargetRemaining { get; }

    /// <summary>The first epoch after which the model is pruned (1-based).</summary>
    public int StartEpoch { get; }

    /// <summary>The last epoch after which the model may be pruned.</summary>
    public int EndEpoch { get; }

    /// <summary>
    /// The weights remaining this schedule reaches over <paramref name="epochs"/> epochs with one rate for
    /// every layer: <c>max(target, (1 - rate)^events)</c>.
    /// </summary>
    public double ExpectedWeightsRemaining(int epochs)
    {
        return Math.Max(TargetRemaining, Reach.Remaining(Rate, Reach.EveryEpochEvents(StartEpoch, EndEpoch, epochs)));
    }

    /// <inheritdoc/>
    public PruningAmount? AfterEpoch(PruningProgress progress) =>
        progress.Epoch >= StartEpoch && progress.Epoch <= EndEpoch && progress.WeightsRemaining > TargetRemaining + 1e-12
            ? PruningAmount.ByRate(Rate, TargetRemaining)
            : null;

    /// <inheritdoc/>
    public PruningAmount? AfterRound(PruningProgress progress) => null;
}
