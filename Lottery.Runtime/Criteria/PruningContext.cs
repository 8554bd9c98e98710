using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// What one pruning event offers a criterion beyond the weights: the model and its masks, the run's seeded generator,
/// the loss, batches of training data, the shape of one input, and what accumulators gathered during training. A
/// <see cref="Runs.PruningRun"/> fills every part; a context made by hand holds what its maker gives, and a criterion
/// that asks for a missing part gets an error naming it.
/// </summary>
public sealed class PruningContext
{
    /// <summary>The default number of examples a criterion that scores on data sees (SNIP's batch of 100 on MNIST).</summary>
    public const int DefaultScoringBatchSize = 100;

    /// <summary>A context with the masks and the generator only: enough for the criteria that need no more.</summary>
    public PruningContext(MaskSet masks, Generator random)
    {
        Masks = masks ?? throw new ArgumentNullException(nameof(masks));
        Random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>The masks being pruned, and through them the model.</summary>
    public MaskSet Masks { get; }

    /// <summary>The run's seeded generator, for criteria that draw random numbers.</summary>
    public Generator Random { get; }

    /// <summary>What training minimises; criteria that take gradients of a loss use it.</summary>
    public ILossFunction Loss { get; init; } = CrossEntropyLoss.Instance;

    /// <summary>Batches of training data, or null when the event has none (then a criterion that needs data fails, naming it).</summary>
    public IScoringData? Data { get; init; }

    /// <summary>The number of examples in the batch a criterion that scores on data draws.</summary>
    public int ScoringBatchSize { get; init; } = DefaultScoringBatchSize;

    /// <summary>The shape of one input, without the batch dimension (for example <c>[1, 28, 28]</c>), or null when not known.</summary>
    public IReadOnlyList<long>? InputShape { get; init; }

    /// <summary>The accumulators of the run's criteria that gather scores during training, by criterion.</summary>
    public IReadOnlyDictionary<IPruningCriterion, ICriterionAccumulator> Accumulators { get; init; } = new Dictionary<IPruningCriterion, ICriterionAccumulator>();

    /// <summary>The model, as the module that maps a batch to outputs.</summary>
    /// <exception cref="InvalidOperationException">The masks' model does not take and return a tensor.</exception>
    public nn.Module<Tensor, Tensor> Model => Masks.Model as nn.Module<Tensor, Tensor>
        ?? throw new InvalidOperationException($"{Masks.Model.GetType().Name} does not take and return a Tensor (nn.Module<Tensor, Tensor>), so a criterion cannot run it.");

    /// <summary>The weights of <paramref name="weight"/> at initialisation.</summary>
    public Tensor InitialWeight(PrunableWeight weight) => Masks.InitialWeight(weight);

    /// <summary>A batch of <see cref="ScoringBatchSize"/> training examples for <paramref name="criterion"/>.</summary>
    /// <exception cref="InvalidOperationException">The context has no data.</exception>
    public (Tensor Inputs, Tensor Labels) DrawBatch(IPruningCriterion criterion)
    {
        ArgumentNullException.ThrowIfNull(criterion);
        var data = Data ?? throw new InvalidOperationException(
            $"{criterion.Name} scores weights on a batch of training data, and this pruning event has none: prune in a PruningRun, or give the PruningContext its Data.");
        return data.Draw(ScoringBatchSize);
    }

    /// <summary>The shape of one input for <paramref name="criterion"/>.</summary>
    /// <exception cref="InvalidOperationException">The context does not know it.</exception>
    public IReadOnlyList<long> InputShapeFor(IPruningCriterion criterion)
    {
        ArgumentNullException.ThrowIfNull(criterion);
        return InputShape ?? throw new InvalidOperationException(
            $"{criterion.Name} runs the model on an input it makes itself and needs the shape of one input: prune in a PruningRun, or give the PruningContext its InputShape (for example [1, 28, 28]).");
    }

    /// <summary>What <paramref name="criterion"/>'s accumulator gathered.</summary>
    /// <exception cref="InvalidOperationException">The context has no accumulator for it (it was not trained with one).</exception>
    public TAccumulator AccumulatorOf<TAccumulator>(IPruningCriterion criterion)
        where TAccumulator : ICriterionAccumulator
    {
        ArgumentNullException.ThrowIfNull(criterion);
        return Accumulators.TryGetValue(criterion, out var found) && found is TAccumulator typed
            ? typed
            : throw new InvalidOperationException(
                $"{criterion.Name} scores weights by what it gathered during training, and this pruning event has no accumulator of it: prune in a PruningRun (which installs one), or give the PruningContext the accumulator that trained with the model.");
    }

    /// <summary>
    /// The gradients of the scalar <paramref name="output"/> with respect to each of <paramref name="weights"/>, in that
    /// order (zeros for a weight the output does not depend on), without touching the parameters' own gradients.
    /// </summary>
    public static IReadOnlyList<Tensor> Gradients(Tensor output, IReadOnlyList<PrunableWeight> weights)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(weights);
        var parameters = weights.Select(w => (Tensor)w.Parameter).ToList();
        var gradients = autograd.grad([output], parameters, allow_unused: true);
        return gradients.Select((g, i) => g is null || g.IsInvalid ? zeros_like(parameters[i]) : g).ToList();
    }
}
