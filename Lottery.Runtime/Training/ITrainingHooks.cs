using Lottery.Masks;

namespace Lottery.Training;

/// <summary>Called by the trainer and the pruning run as training goes; every method is optional.</summary>
public interface ITrainingHooks
{
    /// <summary>
    /// Whether the hook reads the weights or their gradients between batches (a criterion accumulated over training, a
    /// topology that regrows by gradients). Such a hook keeps training on the dense path: on the sparse path
    /// (<see cref="TrainingSettings.SparseTraining"/>) a layer's dense weight is brought up to date only at the epoch's end.
    /// </summary>
    bool ReadsWeightsDuringEpoch => false;

    /// <summary>Before each round of training, after the previous round's pruning and rewinding: the ticket it starts from.</summary>
    void BeforeRound(int round, double weightsRemaining)
    {
    }

    /// <summary>
    /// After a batch's gradients are computed, before they are masked: pruned weights' gradients are still there (what
    /// RigL regrows by). Read them; change nothing.
    /// </summary>
    void AfterBackward(BatchProgress progress)
    {
    }

    /// <summary>
    /// After a batch's gradients are computed (and masked), before the optimizer's step uses them: the weights are still
    /// those the gradients were taken at. The progress counts the batch (its iteration is the one <see cref="AfterBatch"/> gets).
    /// </summary>
    void BeforeStep(BatchProgress progress)
    {
    }

    /// <summary>After each optimizer step (pruned weights are already zero again).</summary>
    void AfterBatch(BatchProgress progress)
    {
    }

    /// <summary>After each epoch has been trained and evaluated.</summary>
    void AfterEpoch(EpochMetrics metrics)
    {
    }

    /// <summary>After each pruning event.</summary>
    void AfterPruning(int round, int epoch, PruningEvent pruning)
    {
    }

    /// <summary>After each round of training.</summary>
    void AfterRound(RoundResult result)
    {
    }
}
