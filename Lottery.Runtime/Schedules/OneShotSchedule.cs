using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>
/// Prunes once, straight to <see cref="TargetRemaining"/>: after epoch <see cref="AfterEpochNumber"/> of the
/// run when one is given (training then goes on), otherwise after the first full round, followed by a
/// second round of training (the paper's one-shot pruning).
/// </summary>
public sealed class OneShotSchedule : IPruningSchedule
{
    /// <summary>Creates the schedule.</summary>
    public OneShotSchedule(double targetRemaining, int? afterEpoch = null, double rate = 0.2)
    {
        TargetRemaining = ScheduleValidation.Target(targetRemaining);
        AfterEpochNumber = afterEpoch is { } epoch ? ScheduleValidation.Epoch(epoch, nameof(afterEpoch)) : null;
        Rate = ScheduleValidation.Rate(rate);
    }

    /// <inheritdoc/>
    public string Name => nameof(ScheduleKind.OneShot);

    /// <summary>The reference rate that per-layer rates are compared with.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public double TargetRemaining { get; }

    /// <summary>The epoch after which to prune, or null to prune between the first and second round.</summary>
    public int? AfterEpochNumber { get; }

    /// <inheritdoc/>
    public PruningAmount? AfterEpoch(PruningProgress progress) =>
        AfterEpochNumber == progress.Epoch && progress.Round == 0 ? PruningAmount.ToRemaining(TargetRemaining, Rate) : null;

    /// <inheritdoc/>
    public PruningAmount? AfterRound(PruningProgress progress) =>
        AfterEpochNumber is null && progress.Round == 0 ? PruningAmount.ToRemaining(TargetRemaining, Rate) : null;
}
