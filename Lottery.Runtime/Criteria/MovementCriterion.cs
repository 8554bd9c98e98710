using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// Movement pruning (Sanh et al. 2020): S = -sum over the training steps of w * g, gathered after each batch's
/// gradients and before its optimizer step. Weights that training pushes away from zero (w and g of opposite signs)
/// gain score; those it pulls towards zero lose it and go first. Not <see cref="LeastChangeCriterion"/>, |w - w0|,
/// which Zhou et al. 2019 also call movement.
/// </summary>
/// <remarks>
/// The sums start at zero with each round of training (a round trains from its ticket; IMP's rounds are separate
/// trainings) and go on through the round's pruning events; pruned weights add nothing (their weight and gradient are
/// zero). The run installs the accumulator, calls it and keeps it in its checkpoints. Before any training every score
/// is zero, so Movement cannot prune at initialisation.
/// </remarks>
public sealed class MovementCriterion : IContextCriterion
{
    /// <inheritdoc/>
    public string Name => nameof(CriterionKind.Movement);

    /// <inheritdoc/>
    public CriterionNeeds Needs => CriterionKindNeeds.Of(CriterionKind.Movement);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Always: Movement's scores are gathered during training, which a weight alone does not hold.</exception>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) =>
        throw new InvalidOperationException("Movement scores are summed over training by an accumulator, which a weight alone does not hold: prune in a PruningRun, or with Pruner.Prune(PruningContext, ...) and the accumulator from CreateAccumulator.");

    /// <inheritdoc/>
    public ICriterionAccumulator CreateAccumulator(MaskSet masks) => new Accumulator(masks ?? throw new ArgumentNullException(nameof(masks)));

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Score(PruningContext context, IReadOnlyList<PrunableWeight> weights)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(weights);
        var sums = context.AccumulatorOf<Accumulator>(this);
        return weights.Select(w => sums.Of(w).clone()).ToList();
    }

    /// <summary>The running sums of -w * g, one per masked parameter, on the parameter's device.</summary>
    private sealed class Accumulator : ICriterionAccumulator
    {
        private readonly Dictionary<PrunableWeight, Tensor> sums;

        public Accumulator(MaskSet masks)
        {
            using var noGrad = no_grad();
            sums = masks.Weights.ToDictionary(w => w, w => zeros_like(w.Parameter).DetachFromDisposeScope());
            State = sums.ToDictionary(s => s.Key.Name, s => s.Value);
        }

        public IReadOnlyDictionary<string, Tensor> State { get; }

        public Tensor Of(PrunableWeight weight) =>
            sums.TryGetValue(weight, out var sum) ? sum : throw new InvalidOperationException($"The Movement accumulator holds no sums for {weight.Name}: it was created for another model's masks.");

        public void BeforeRound(int round, double weightsRemaining)
        {
            using var noGrad = no_grad();
            foreach (var sum in sums.Values)
            {
                sum.zero_();
            }
        }

        // Every batch: sum -= w * g in place, with no tensor made on the way.
        public void BeforeStep(BatchProgress progress)
        {
            using var noGrad = no_grad();
            foreach (var (weight, sum) in sums)
            {
                if (weight.Parameter.grad is { } gradient)
                {
                    sum.addcmul_(weight.Parameter, gradient, -1);
                }
            }
        }

        public void Dispose()
        {
            foreach (var sum in sums.Values)
            {
                sum.Dispose();
            }
        }
    }
}
