namespace Lottery.Training;

/// <summary>The figures of one epoch, measured after it trained and before any pruning event that follows it.</summary>
public sealed record EpochMetrics
{
    /// <summary>The training round.</summary>
    public required int Round { get; init; }

    /// <summary>The epoch (1-based).</summary>
    public required int Epoch { get; init; }

    /// <summary>Batches trained in this round at the end of this epoch.</summary>
    public required long Iteration { get; init; }

    /// <summary>Mean training loss over the epoch's batches.</summary>
    public required double TrainLoss { get; init; }

    /// <summary>On the validation set.</summary>
    public required Evaluation Validation { get; init; }

    /// <summary>On the test set (NaN when not evaluated every epoch).</summary>
    public required Evaluation Test { get; init; }

    /// <summary>Fraction of prunable weights remaining while this epoch trained.</summary>
    public required double WeightsRemaining { get; init; }

    /// <summary>The learning rate this epoch used.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Seconds spent training this epoch (evaluation excluded).</summary>
    public required double TrainingSeconds { get; init; }

    /// <summary>
    /// Multiply-adds of training this epoch with the weights that survived while it trained (<see cref="Measures.MultiplyAdds"/>:
    /// three forward passes an example); null when not measured (results from before Lottery measured it, or a model
    /// whose forward the probe could not follow).
    /// </summary>
    public long? TrainingMultiplyAdds { get; init; }

    /// <summary>
    /// Early-Bird's mask distance (You et al. 2020): the fraction of prunable entries on which the mask drawn after this
    /// epoch differs from the one drawn after the epoch before (before the first: at the round's start), each drawn by
    /// the run's criterion and scope at its target from the weights as they were; null for a dense run, or when not measured.
    /// </summary>
    public double? MaskDistance { get; init; }

    /// <summary>
    /// The Jaccard overlap of the same two drawn masks (entries kept by both over entries kept by either): unlike
    /// <see cref="MaskDistance"/>, which is a fraction of all entries and so stays below twice the target whatever
    /// happens, it compares the kept entries alone, and tells at a small target whether the mask still moves.
    /// </summary>
    public double? DrawnMaskOverlap { get; init; }
}
