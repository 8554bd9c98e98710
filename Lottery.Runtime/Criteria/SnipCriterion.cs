using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// SNIP (Lee et al. 2019, connection sensitivity): |g * w|, with g the gradient of the loss on one batch of training
/// data with respect to the masked weight, so the weights whose removal would change the loss least go first. Made for
/// pruning once at initialisation (<see cref="ScheduleKind.AtInit"/>); at any later event it scores the weights of that
/// moment the same way.
/// </summary>
/// <remarks>
/// The batch holds <see cref="PruningContext.ScoringBatchSize"/> examples drawn from the training set by the run's seed
/// (<c>ScoringBatchSize</c> on <see cref="PruneScheduleAttribute"/>; 100 unless given). The model runs in evaluation mode,
/// so that dropout draws nothing and batch norms use no batch statistics. A pruned weight is zero in the model, so the
/// gradient flows through the mask as it would through <c>m * w</c>: g is the loss's gradient at the effective weight,
/// and |g * w| is |dL/dm| at m = 1, the paper's sensitivity of the loss to the mask.
/// </remarks>
public sealed class SnipCriterion : IContextCriterion
{
    /// <inheritdoc/>
    public string Name => nameof(CriterionKind.Snip);

    /// <inheritdoc/>
    public CriterionNeeds Needs => CriterionKindNeeds.Of(CriterionKind.Snip);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Always: SNIP needs a batch and gradients, which a <see cref="PruningContext"/> gives.</exception>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) =>
        throw new InvalidOperationException("Snip scores a weight by its gradient on a batch of training data, which a weight alone does not give: prune with Pruner.Prune(PruningContext, ...) or in a PruningRun.");

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Score(PruningContext context, IReadOnlyList<PrunableWeight> weights)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(weights);
        var model = context.Model;
        var (inputs, labels) = context.DrawBatch(this);
        using var evaluation = new EvaluationModeScope(model);
        using var gradientsOn = enable_grad();
        var loss = context.Loss.Compute(model.forward(inputs), labels, nn.Reduction.Mean);
        var gradients = PruningContext.Gradients(loss, weights);
        using var noGrad = no_grad();
        return weights.Select((w, i) => (gradients[i] * w.Parameter).abs()).ToList();
    }
}
