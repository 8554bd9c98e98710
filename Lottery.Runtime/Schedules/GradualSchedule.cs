using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>
/// Gradual pruning (Zhu and Gupta 2017): within one run, after each epoch t from <see cref="StartEpoch"/>
/// to <see cref="EndEpoch"/>, the sparsity is raised to
/// <c>s_t = s_f + (s_i - s_f) (1 - (t - t0) / (t_end - t0))^3</c>, with s_i = <see cref="InitialSparsity"/> and
/// s_f = 1 - <see cref="TargetRemaining"/>: fast at first, slow near the end.
/// </summary>
public sealed class GradualSchedule : IPruningSchedule
{
    /// <summary>Creates the schedule.</summary>
    public GradualSchedule(double targetRemaining, int startEpoch, int endEpoch, double initialSparsity = 0.0, double rate = 0.2)
    {
        TargetRemaining = ScheduleValidation.Target(targetRemaining);
        StartEpoch = ScheduleValidation.Epoch(startEpoch, nameof(startEpoch));
        EndEpoch = ScheduleValidation.Epoch(endEpoch, nameof(endEpoch));
        ScheduleValidation.Order(StartEpoch, EndEpoch, nameof(startEpoch));
        if (!(initialSparsity >= 0 && initialSparsity < 1 - TargetRemaining + 1e-12))
        {
            throw new ArgumentOutOfRangeException(nameof(initialSparsity), initialSparsity, "The initial sparsity must be in [0, 1 - target).");
        }

        InitialSparsity = initialSparsity;
        Rate = ScheduleValidation.Rate(rate);
    }

    /// <inheritdoc/>
    public string Name => nameof(ScheduleKind.Gradual);

    /// <summary>The reference rate that per-layer rates are compared with (it does not set the pace).</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public double TargetRemaining { get; }

    /// <summary>Sparsity applied after <see cref="StartEpoch"/>.</summary>
    public double InitialSparsity { get; }

    /// <summary>The first epoch after which the model is pruned.</summary>
    public int StartEpoch { get; }

    /// <summary>The epoch after which the target is reached.</summary>
    public int EndEpoch { get; }

    /// <summary>The fraction of weights remaining the cubic asks for after <paramref name="epoch"/>.</summary>
    public double WeightsRemainingAfter(int epoch)
    {
        return Reach.GradualRemaining(epoch, StartEpoch, EndEpoch, InitialSparsity, TargetRemaining);
    }

    /// <inheritdoc/>
    public PruningAmount? AfterEpoch(PruningProgress progress)
    {
        if (progress.Epoch < StartEpoch || progress.Epoch > EndEpoch)
        {
            return null;
        }

        var wanted = WeightsRemainingAfter(progress.Epoch);
        return progress.WeightsRemaining > wanted + 1e-12 ? PruningAmount.ToRemaining(wanted, Rate) : null;
    }

    /// <inheritdoc/>
    public PruningAmount? AfterRound(PruningProgress progress) => null;
}
