using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// Scores a criterion gathers during training (Movement's running sum), created per run by
/// <see cref="IContextCriterion.CreateAccumulator"/>. It follows training through its hooks, and its tensors are part of
/// the run's checkpoint, so a resumed run ends with the masks of a run never stopped.
/// </summary>
public interface ICriterionAccumulator : ITrainingHooks, IDisposable
{
    /// <summary>
    /// The tensors that hold what was gathered so far, by a name unique within the accumulator; a checkpoint saves them
    /// and restores them in place, so they must keep their identity for the life of the run.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> State { get; }

    /// <summary>An accumulator reads the weights or their gradients after each batch: training stays on the dense path.</summary>
    bool ITrainingHooks.ReadsWeightsDuringEpoch => true;
}
