using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>
/// Iterative magnitude pruning (IMP, Frankle and Carbin 2019): train a full round, prune
/// <see cref="Rate"/> of the remaining weights, rewind, and train again, for <see cref="Rounds"/> pruning
/// rounds or until <see cref="TargetRemaining"/> is reached, whichever comes first.
/// </summary>
public sealed class IterativeSchedule : IPruningSchedule
{
    /// <summary>Creates the schedule; give <paramref name="rounds"/>, a target below 1, or both.</summary>
    public IterativeSchedule(double rate = 0.2, int rounds = int.MaxValue, double targetRemaining = 0.0)
    {
        Rate = ScheduleValidation.Rate(rate);
        if (rounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "Iterative pruning needs at least 1 round.");
        }

        if (rounds == int.MaxValue && !(targetRemaining > 0 && targetRemaining < 1))
        {
            throw new ArgumentException("Give Iterative a number of rounds, or a target below 1 to stop at; otherwise it never ends.", nameof(rounds));
        }

        TargetRemaining = targetRemaining == 0.0 ? 0.0 : ScheduleValidation.Target(targetRemaining);
        Rounds = rounds;
    }

    /// <inheritdoc/>
    public string Name => nameof(ScheduleKind.Iterative);

    /// <inheritdoc/>
    public double Rate { get; }

    /// <inheritdoc/>
    public double TargetRemaining { get; }

    /// <summary>The number of pruning rounds (each followed by a round of training).</summary>
    public int Rounds { get; }

    /// <inheritdoc/>
    public PruningAmount? AfterEpoch(PruningProgress progress) => null;

    /// <inheritdoc/>
    public PruningAmount? AfterRound(PruningProgress progress) =>
        progress.Round < Rounds && progress.WeightsRemaining > TargetRemaining + 1e-12
            ? PruningAmount.ByRate(Rate, TargetRemaining)
            : null;
}
