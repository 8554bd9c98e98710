using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// SynFlow (Tanaka et al. 2020, iterative synaptic flow): data-free. Every parameter is replaced by its magnitude, the
/// model is run on one input of ones, and R, the sum of its outputs, scores each masked weight by |dR/dw * w|. One
/// pruning event is split into <see cref="Iterations"/> = 100 scoring passes on an exponential schedule of the weights
/// remaining, as in the paper, so a layer whose flow shrinks is not cut off at once (layer collapse).
/// </summary>
/// <remarks>
/// The model runs in evaluation mode and in its parameters' own precision (float32: the product of a few layers'
/// magnitudes stays far from overflow in models of LeNet's depth). The signs are kept and every parameter and buffer is
/// given back exactly its value (|w| times the sign of w is w). It reads no example of the data: the input's shape comes
/// from <see cref="PruningContext.InputShape"/>.
/// </remarks>
public sealed class SynFlowCriterion : IContextCriterion
{
    /// <inheritdoc/>
    public string Name => nameof(CriterionKind.SynFlow);

    /// <inheritdoc/>
    public CriterionNeeds Needs => CriterionKindNeeds.Of(CriterionKind.SynFlow);

    /// <summary>The paper's 100 scoring passes per pruning event.</summary>
    public int Iterations => 100;

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Always: SynFlow scores a weight by the flow through the whole model, which a <see cref="PruningContext"/> gives.</exception>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) =>
        throw new InvalidOperationException("SynFlow scores a weight by the flow through the whole model, which a weight alone does not give: prune with Pruner.Prune(PruningContext, ...) or in a PruningRun.");

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Score(PruningContext context, IReadOnlyList<PrunableWeight> weights)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count == 0)
        {
            return [];
        }

        var model = context.Model;
        var shape = context.InputShapeFor(this);
        using var evaluation = new EvaluationModeScope(model);
        var state = model.state_dict().Where(e => e.Value.is_floating_point() && !MaskSet.IsMaskBuffer(e.Key)).Select(e => e.Value).ToList();
        var signs = new List<Tensor>(state.Count);
        using (no_grad())
        {
            foreach (var value in state)
            {
                signs.Add(value.sign());
                value.abs_();
            }
        }

        try
        {
            using var gradientsOn = enable_grad();
            var first = weights[0].Parameter;
            var input = ones([1, .. shape], dtype: first.dtype, device: first.device);
            var flow = model.forward(input).sum();
            var gradients = PruningContext.Gradients(flow, weights);
            using var noGrad = no_grad();
            return weights.Select((w, i) => (gradients[i] * w.Parameter).abs()).ToList();
        }
        finally
        {
            using (no_grad())
            {
                for (var i = 0; i < state.Count; i++)
                {
                    state[i].mul_(signs[i]);
                }
            }
        }
    }
}
