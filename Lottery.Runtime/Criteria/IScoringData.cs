using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>Batches of training data for criteria that score on data (<see cref="CriterionNeeds.Data"/>).</summary>
public interface IScoringData
{
    /// <summary>
    /// A batch of <paramref name="size"/> training examples (fewer when the training set is smaller) on the model's
    /// device: the same batch every time for the same run and pruning event.
    /// </summary>
    (Tensor Inputs, Tensor Labels) Draw(int size);
}
