namespace Lottery.Reporting;

/// <summary>One row of the summary: one arm, seed and point.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Schedule">Dense, FixedMask (a control training a given mask), Iterative, EveryEpoch, Gradual or OneShot.</param>
/// <param name="Criterion">The criterion, or empty when nothing is pruned.</param>
/// <param name="Rewind">The rewinding, for example <c>ToInit</c> or <c>ToEpoch(1)</c>.</param>
/// <param name="Seed">The training seed.</param>
/// <param name="Point">The IMP round for IMP's rows, the matched round for arms matched to it, 0 for a single run.</param>
/// <param name="WeightsRemainingPercent">Prunable weights remaining, in percent.</param>
/// <param name="TestAccuracyFinal">Test accuracy at the end of training.</param>
/// <param name="TestAccuracyAtBestValidation">Test accuracy at the epoch of lowest validation loss (early stopping).</param>
/// <param name="BestValidationIteration">The iteration of that epoch, counted within the round.</param>
/// <param name="EpochsTrained">Epochs trained to reach this point (all earlier IMP rounds included).</param>
/// <param name="TrainingSeconds">Seconds of training to reach this point (evaluation excluded).</param>
/// <param name="Run">The run's folder under <c>runs/</c>.</param>
/// <param name="Scope">Layerwise or Global, empty when nothing is pruned.</param>
/// <param name="Rate">The rate per pruning event, or null when nothing is pruned.</param>
/// <param name="StartEpoch">The method's start epoch, or null.</param>
/// <param name="EndEpoch">The method's end epoch, or null.</param>
public sealed record SummaryRow(
    string Arm,
    string Schedule,
    string Criterion,
    string Rewind,
    long Seed,
    int Point,
    double WeightsRemainingPercent,
    double TestAccuracyFinal,
    double TestAccuracyAtBestValidation,
    long BestValidationIteration,
    int EpochsTrained,
    double TrainingSeconds,
    string Run,
    string Scope,
    double? Rate,
    int? StartEpoch,
    int? EndEpoch)
{
    /// <summary>The run's round this row reports (its files are <c>rounds/round-NN.*</c> in the run's folder).</summary>
    public int Round { get; init; }

    /// <summary>
    /// Multiply-adds of training to reach this point (all earlier IMP rounds included), counting only the weights that
    /// survived in each epoch (<see cref="Measures.MultiplyAdds"/>); null for results measured before Lottery counted them.
    /// </summary>
    public long? TrainingMultiplyAdds { get; init; }

    /// <summary>Multiply-adds of one example's forward pass with this point's surviving weights; null when not measured.</summary>
    public long? InferenceMultiplyAdds { get; init; }

    /// <summary>
    /// For an arm other than the reference one (IMP), the Jaccard overlap of its mask with the reference arm's at the same
    /// point and seed (entries kept by both over entries kept by either); null for the reference arm, dense rows, an
    /// experiment matched to no arm, or runs without their pruned-model files.
    /// </summary>
    public double? OverlapWithMatched { get; init; }

    /// <summary>
    /// When the mask settled in this row's round: the first epoch after which Early-Bird's mask distance had stayed below
    /// 0.1 for 5 epochs in a row (the paper's test, <see cref="Schedules.EarlyBirdStop"/>); null when it never did, or was not measured.
    /// </summary>
    public int? MaskSettledEpoch { get; init; }
}
