using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>
/// Never prunes: the run trains with its masks as they are, for example a ticket's mask loaded with
/// <see cref="Runs.PruningRun.StartFrom"/> (the random re-initialisation control).
/// </summary>
public sealed class FixedMaskSchedule : IPruningSchedule
{
    /// <inheritdoc/>
    public string Name => "FixedMask";

    /// <inheritdoc/>
    public double Rate => 0;

    /// <inheritdoc/>
    public double TargetRemaining => 1;

    /// <inheritdoc/>
    public PruningAmount? AfterEpoch(PruningProgress progress) => null;

    /// <inheritdoc/>
    public PruningAmount? AfterRound(PruningProgress progress) => null;
}
