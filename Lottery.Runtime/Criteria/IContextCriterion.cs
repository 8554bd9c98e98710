using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// A criterion that scores through the <see cref="PruningContext"/> rather than weight by weight: it runs the model
/// on a batch (SNIP), on an input of ones (SynFlow), or reads what a hook gathered during training (Movement).
/// The <see cref="Pruner"/> asks it once per scoring pass for every weight it ranks, and knows nothing else about it.
/// </summary>
/// <remarks>
/// <see cref="IPruningCriterion.Score(Tensor, Tensor, Generator)"/> has nothing to work with for such a criterion;
/// implementations throw from it with a message saying how to prune with a context.
/// </remarks>
public interface IContextCriterion : IPruningCriterion
{
    /// <summary>
    /// Scoring passes one pruning event is split into: each removes its share of the event on an exponential schedule
    /// and the survivors are scored again before the next (SynFlow's 100 iterations). 1 scores once.
    /// </summary>
    int Iterations => 1;

    /// <summary>
    /// What the run installs for this criterion before training, when it gathers scores as training goes (Movement);
    /// null when it needs nothing of the kind. The run calls its hooks, saves it in checkpoints and disposes it.
    /// </summary>
    ICriterionAccumulator? CreateAccumulator(MaskSet masks) => null;

    /// <summary>
    /// The scores of <paramref name="weights"/>, in that order, each a new tensor of its weight's shape; higher means
    /// more worth keeping. The model's weights must be as they were when the method returns.
    /// </summary>
    IReadOnlyList<Tensor> Score(PruningContext context, IReadOnlyList<PrunableWeight> weights);
}
