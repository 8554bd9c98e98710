using Lottery.Masks;

namespace Lottery.Schedules;

/// <summary>
/// Dynamic sparse training (SET, Mocanu et al. 2018; RigL, Evci et al. 2020): prunes once before training, straight to
/// <see cref="TargetRemaining"/>, then keeps that density while the mask changes. Every <see cref="UpdateEvery"/>
/// batches until <see cref="EndEpoch"/>, each layer drops the smallest-magnitude fraction of its surviving weights and
/// regrows as many of its pruned connections (<see cref="Regrowth"/>), which start at zero with fresh optimizer state.
/// The fraction decays from <see cref="DropFraction"/> to zero along a cosine over the updates, as in RigL; SET and
/// RigL then differ only in how they regrow, as in Evci et al.'s comparison. <see cref="Runs.PruningRun"/> installs the
/// <see cref="SparseTopology"/> that does the updates.
/// </summary>
public sealed class DynamicSparseSchedule : IPruningSchedule
{
    /// <summary>The drop fraction the papers use, 0.3.</summary>
    public const double DefaultDropFraction = ScheduleDescriptor.DefaultDropFraction;

    /// <summary>RigL's update interval, 100 batches.</summary>
    public const int DefaultUpdateEvery = ScheduleDescriptor.DefaultUpdateEvery;

    /// <summary>Creates the schedule.</summary>
    /// <param name="targetRemaining">The density kept throughout training.</param>
    /// <param name="regrowth">How pruned connections are chosen to regrow.</param>
    /// <param name="rate">The reference rate per-layer rates are compared with when sharing the first pruning between layers.</param>
    /// <param name="dropFraction">The fraction of each layer's surviving weights the first update drops, in (0, 1).</param>
    /// <param name="updateEvery">Batches between updates, at least 1.</param>
    /// <param name="endEpoch">The last epoch with updates; null: the first three quarters of the training (RigL's).</param>
    public DynamicSparseSchedule(double targetRemaining, RegrowthKind regrowth, double rate = 0.2, double dropFraction = DefaultDropFraction, int updateEvery = DefaultUpdateEvery, int? endEpoch = null)
    {
        TargetRemaining = ScheduleValidation.Target(targetRemaining);
        Rate = ScheduleValidation.Rate(rate);
        DropFraction = dropFraction > 0 && dropFraction < 1 ? dropFraction
            : throw new ArgumentOutOfRangeException(nameof(dropFraction), dropFraction, "The drop fraction is a fraction of the surviving weights in (0, 1); the papers use 0.3.");
        UpdateEvery = updateEvery >= 1 ? updateEvery
            : throw new ArgumentOutOfRangeException(nameof(updateEvery), updateEvery, "Update the mask every 1 or more batches (RigL: 100).");
        EndEpoch = endEpoch is null ? null : ScheduleValidation.Epoch(endEpoch.Value, nameof(endEpoch));
        Regrowth = Enum.IsDefined(regrowth) ? regrowth : throw new ArgumentOutOfRangeException(nameof(regrowth), regrowth, "Regrow at Random (SET) or by Gradient (RigL).");
    }

    /// <inheritdoc/>
    public string Name => nameof(ScheduleKind.DynamicSparse);

    /// <summary>The reference rate that per-layer rates are compared with.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public double TargetRemaining { get; }

    /// <summary>How pruned connections are chosen to regrow.</summary>
    public RegrowthKind Regrowth { get; }

    /// <summary>The fraction of each layer's surviving weights the first update drops.</summary>
    public double DropFraction { get; }

    /// <summary>Batches between updates.</summary>
    public int UpdateEvery { get; }

    /// <summary>The last epoch with updates; null: three quarters of the training.</summary>
    public int? EndEpoch { get; }

    /// <summary>The last batch (counted from 1 in the round) that may update the mask, for a training of <paramref name="epochs"/> epochs of <paramref name="batchesPerEpoch"/>.</summary>
    public long LastUpdateBatch(int epochs, long batchesPerEpoch) =>
        EndEpoch is { } end ? Math.Min(end, epochs) * batchesPerEpoch : (long)Math.Floor(0.75 * epochs * batchesPerEpoch);

    /// <summary>
    /// The batch after which the mask no longer changes, for a training of <paramref name="epochs"/> epochs of
    /// <paramref name="batchesPerEpoch"/>: the last update batch (a multiple of <see cref="UpdateEvery"/>) at or before
    /// <see cref="LastUpdateBatch"/>. An epoch that ends at or after it was evaluated with the final mask.
    /// </summary>
    public long FinalMaskFrom(int epochs, long batchesPerEpoch) => LastUpdateBatch(epochs, batchesPerEpoch) / UpdateEvery * UpdateEvery;

    /// <summary>
    /// The fraction of the surviving weights dropped at batch <paramref name="batch"/>: RigL's cosine decay,
    /// <c>DropFraction / 2 * (1 + cos(pi * batch / lastBatch))</c>; 0 after <paramref name="lastBatch"/> or between updates.
    /// </summary>
    public double FractionAt(long batch, long lastBatch) =>
        batch < 1 || batch > lastBatch || batch % UpdateEvery != 0 ? 0.0 : DropFraction / 2 * (1 + Math.Cos(Math.PI * batch / lastBatch));

    /// <inheritdoc/>
    public PruningAmount? BeforeRound(PruningProgress progress) =>
        progress.Round == 0 && progress.WeightsRemaining > TargetRemaining + 1e-12 ? PruningAmount.ToRemaining(TargetRemaining, Rate) : null;

    /// <inheritdoc/>
    public PruningAmount? AfterEpoch(PruningProgress progress) => null;

    /// <inheritdoc/>
    public PruningAmount? AfterRound(PruningProgress progress) => null;
}
