using Lottery.Masks;

namespace Lottery.Training;

/// <summary>The figures of one round of training (one training run of IMP, or the single run of a one-run schedule).</summary>
public sealed record RoundResult
{
    /// <summary>The round (0 is the first).</summary>
    public required int Round { get; init; }

    /// <summary>Fraction of prunable weights remaining at the end of the round.</summary>
    public required double WeightsRemaining { get; init; }

    /// <summary>Per-epoch figures.</summary>
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }

    /// <summary>The model as the round left it, on the test set.</summary>
    public required Evaluation FinalTest { get; init; }

    /// <summary>The model as the round left it, on the validation set.</summary>
    public required Evaluation FinalValidation { get; init; }

    /// <summary>Best validation accuracy of the round's epochs.</summary>
    public required double BestValidationAccuracy { get; init; }

    /// <summary>Iteration at which the best validation accuracy was seen.</summary>
    public required long BestValidationAccuracyIteration { get; init; }

    /// <summary>Lowest validation loss of the round's epochs (the paper's early-stopping point).</summary>
    public required double BestValidationLoss { get; init; }

    /// <summary>Iteration at which the lowest validation loss was seen.</summary>
    public required long BestValidationLossIteration { get; init; }

    /// <summary>Test accuracy at the epoch of lowest validation loss.</summary>
    public required double TestAccuracyAtBestValidation { get; init; }

    /// <summary>The pruning events of this round (for one-run schedules) or after it (for Iterative).</summary>
    public required IReadOnlyList<PruningEvent> PruningEvents { get; init; }

    /// <summary>Seconds spent training in this round.</summary>
    public required double TrainingSeconds { get; init; }

    /// <summary>
    /// The round's early-stopping point, recomputed from its epochs: the epoch of lowest validation loss among those that
    /// trained the round's final mask (<paramref name="epochs"/> whose weights remaining are <paramref name="weightsRemaining"/>),
    /// so that a one-run schedule's early stop is never an epoch before its last pruning event, when the model still had
    /// more weights. With no such epoch (pruned after the last one) or no validation set, the round's end:
    /// <paramref name="finalTest"/> at the last epoch's iteration. <paramref name="finalMaskFrom"/>: the iteration of
    /// the last change of a mask that changes at a constant density (a DynamicSparse schedule's last update,
    /// <see cref="Schedules.DynamicSparseSchedule.FinalMaskFrom"/>); 0 for every other schedule.
    /// </summary>
    public static (double TestAccuracy, long Iteration) EarlyStop(IReadOnlyList<EpochMetrics> epochs, double weightsRemaining, Evaluation finalTest, long finalMaskFrom = 0) =>
        EarlyStopEpoch(epochs, weightsRemaining, finalMaskFrom) is { } best
            ? (best.Test.Accuracy, best.Iteration)
            : (finalTest.Accuracy, epochs.Count > 0 ? epochs[^1].Iteration : 0);

    /// <summary>
    /// The epoch <see cref="EarlyStop"/> stops at: the lowest validation loss among the epochs that trained the final
    /// mask; null when none of them has a validation loss.
    /// </summary>
    public static EpochMetrics? EarlyStopEpoch(IReadOnlyList<EpochMetrics> epochs, double weightsRemaining, long finalMaskFrom = 0)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        return AtFinalMask(epochs, weightsRemaining, finalMaskFrom).Where(e => !double.IsNaN(e.Validation.Loss)).MinBy(e => e.Validation.Loss);
    }

    /// <summary>
    /// The epochs that trained the round's final mask: those whose weights remaining are <paramref name="weightsRemaining"/>
    /// and that ended at or after iteration <paramref name="finalMaskFrom"/> (where a mask changes at a constant density,
    /// as dynamic sparse training's does, the weights remaining alone cannot tell).
    /// </summary>
    public static IReadOnlyList<EpochMetrics> AtFinalMask(IReadOnlyList<EpochMetrics> epochs, double weightsRemaining, long finalMaskFrom = 0)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        return epochs.Where(e => Math.Abs(e.WeightsRemaining - weightsRemaining) < 1e-12 && e.Iteration >= finalMaskFrom).ToList();
    }

    /// <summary>Multiply-adds of one example's forward pass with the weights that survive at the round's end; null when not measured.</summary>
    public long? InferenceMultiplyAdds { get; init; }

    /// <summary>The epoch after which Early-Bird's stop pruned straight to the target (<see cref="Schedules.EarlyBirdStop"/>); null when it did not.</summary>
    public int? EarlyBirdEpoch { get; init; }
}
