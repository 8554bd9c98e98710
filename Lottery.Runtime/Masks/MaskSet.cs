using Lottery.Criteria;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Which parameters of a model are pruned, and at which rates.</summary>
public sealed record MaskOptions
{
    /// <summary>Layer names to prune; null means every Linear and Conv1d/2d/3d layer of the model.</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Per-layer rates overriding the schedule's rate, by layer name (for example <c>["fc3"] = 0.1</c>).</summary>
    public IReadOnlyDictionary<string, double> LayerRates { get; init; } = new Dictionary<string, double>();

    /// <summary>Per-layer criteria overriding the run's, by layer name.</summary>
    public IReadOnlyDictionary<string, IPruningCriterion> LayerCriteria { get; init; } = new Dictionary<string, IPruningCriterion>();

    /// <summary>
    /// Also prune the biases of the chosen layers (off by default, as in the paper). A layer created without a
    /// bias is skipped, not refused, since this asks for every bias there is; a single declared layer whose bias is
    /// missing (<see cref="PrunableLayer.IncludeBias"/>) is an error instead.
    /// </summary>
    public bool IncludeBiases { get; init; }

    /// <summary>Per-layer structures (neurons of a Linear, channels of a Conv), by layer name; unstructured when not given.</summary>
    public IReadOnlyDictionary<string, Structure> LayerStructures { get; init; } = new Dictionary<string, Structure>();
}

/// <summary>
/// The masks of one model: finds its prunable layers, registers a mask buffer per prunable parameter,
/// keeps pruned entries exactly zero in the weights, their gradients and the optimizer's state, and
/// keeps a copy of the weights at initialisation for the criteria that compare against it.
/// </summary>
public sealed class MaskSet : IDisposable
{
    private readonly List<PrunableWeight> weights;
    private readonly Dictionary<PrunableWeight, Tensor> initialWeights = [];

    private MaskSet(nn.Module model, List<PrunableWeight> weights)
    {
        Model = model;
        this.weights = weights;
        CaptureInitialWeights();
    }

    /// <summary>The model the masks belong to.</summary>
    public nn.Module Model { get; }

    /// <summary>
    /// The prunable parameters, in the order their layers were given (the model's registration order when the layers
    /// were found by a search). A position depends on every layer before it: find one mask by its layer with
    /// <see cref="Of"/>, or by its full name with the indexer.
    /// </summary>
    public IReadOnlyList<PrunableWeight> Weights => weights;

    /// <summary>Total number of prunable entries (a structured layer's bias, which follows its units, not counted).</summary>
    public long Count => weights.Where(w => w.Follows is null).Sum(w => w.Count);

    /// <summary>Number of prunable entries not yet pruned (a structured layer's bias not counted).</summary>
    public long Remaining => weights.Where(w => w.Follows is null).Sum(w => w.Remaining);

    /// <summary>Fraction of the prunable weights still remaining (1.0 for a dense model).</summary>
    public double WeightsRemaining => (double)Remaining / Count;

    /// <summary>
    /// Finds the prunable layers of <paramref name="model"/> (Linear and Conv1d/2d/3d) and registers a mask
    /// buffer on each, or adopts the mask buffers already there (a model loaded from a ticket).
    /// </summary>
    /// <exception cref="ArgumentException">A layer named in <paramref name="options"/> is not a prunable layer of the model, or a rate is outside (0, 1).</exception>
    public static MaskSet Attach(nn.Module model, MaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new MaskOptions();
        var prunable = model.named_modules().Where(m => IsPrunableLayer(m.Item2)).ToList();
        var available = string.Join(", ", prunable.Select(m => m.Item1));

        foreach (var name in (options.Layers ?? []).Concat(options.LayerRates.Keys).Concat(options.LayerCriteria.Keys).Concat(options.LayerStructures.Keys))
        {
            if (!prunable.Any(m => m.Item1 == name))
            {
                throw new ArgumentException(
                    $"Layer '{name}' is not a prunable layer of {model.GetType().Name}. Prunable layers: {available}.",
                    nameof(options));
            }
        }

        var chosen = options.Layers is null ? prunable : prunable.Where(m => options.Layers.Contains(m.Item1)).ToList();
        if (chosen.Count == 0)
        {
            throw new ArgumentException($"{model.GetType().Name} has no Linear or Conv1d/2d/3d layer to prune.", nameof(model));
        }

        return Attach(model, chosen.Select(m => new PrunableLayer(m.Item1, m.Item2)
        {
            Rate = options.LayerRates.TryGetValue(m.Item1, out var rate) ? rate : null,
            Criterion = options.LayerCriteria.GetValueOrDefault(m.Item1),
            IncludeBias = options.IncludeBiases && HasBias(m.Item2),
            Structure = options.LayerStructures.GetValueOrDefault(m.Item1),
        }).ToList());
    }

    /// <summary>
    /// Registers a mask buffer on each of <paramref name="layers"/> (or adopts the one already there), in the
    /// order given. This is what generated code calls: the layers come from the model's fields, not from a search.
    /// Every layer is checked before any buffer is registered, so a refused declaration leaves the model as it was.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A layer is not prunable, not registered on the model, listed twice, has a rate outside (0, 1), or asks for its
    /// bias to be pruned (<see cref="PrunableLayer.IncludeBias"/>, <c>[Prunable(PruneBias = true)]</c>) but has none.
    /// </exception>
    public static MaskSet Attach(nn.Module model, IReadOnlyList<PrunableLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        var modelName = model.GetType().Name;
        if (layers.Count == 0)
        {
            throw new ArgumentException($"No layers given to prune in {modelName}.", nameof(layers));
        }

        var registered = model.named_modules().ToList();
        var chosen = new List<(string LayerName, PrunableLayer Declared, string ParameterName, Parameter Parameter)>();
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var declared in layers)
        {
            var layer = declared.Layer ?? throw new ArgumentException(
                $"{modelName}.{declared.Member} is null: create the layer in the constructor before the masks are attached.", nameof(layers));
            if (!IsPrunableLayer(layer))
            {
                throw new ArgumentException($"{modelName}.{declared.Member} is a {layer.GetType().Name}; Lottery prunes Linear and Conv1d/2d/3d layers.", nameof(layers));
            }

            CheckRate(declared.Rate, declared.Member, nameof(layers));
            CheckStructure(declared, layer, modelName);

            if (!seen.Add(layer))
            {
                throw new ArgumentException($"{modelName}.{declared.Member} is listed twice.", nameof(layers));
            }

            var name = registered.FirstOrDefault(m => ReferenceEquals(m.Item2, layer)).Item1
                ?? throw new ArgumentException(
                    $"{modelName}.{declared.Member} is not registered on the model: call RegisterComponents() (or register_module) in the constructor, after creating the layers.", nameof(layers));
            var structured = declared.Structure != Structure.Unstructured;
            var parameters = layer.named_parameters(recurse: false)
                .Where(p => p.Item1 == "weight" || ((declared.IncludeBias || structured) && p.Item1 == "bias"))
                .ToList();
            if (declared.IncludeBias && !parameters.Any(p => p.Item1 == "bias"))
            {
                throw new ArgumentException(
                    $"{modelName}.{declared.Member} declares PruneBias = true, but its layer has no bias (it was created with {(layer is Linear ? "hasBias" : "bias")}: false); remove PruneBias or give the layer a bias.",
                    nameof(layers));
            }

            chosen.AddRange(parameters.Select(p => (name, declared, p.Item1, p.Item2)));
        }

        var result = new List<PrunableWeight>();
        foreach (var c in chosen)
        {
            // A structured layer's bias follows its units: the weight of the same layer, attached just before it.
            var follows = c.Declared.Structure != Structure.Unstructured && c.ParameterName == "bias"
                ? result.Last(w => ReferenceEquals(w.Layer, c.Declared.Layer) && w.ParameterName == "weight")
                : null;
            result.Add(new PrunableWeight(c.LayerName, c.Declared.Layer, c.ParameterName, c.Parameter, MaskBuffer(c.Declared.Layer, c.ParameterName, c.Parameter), c.Declared.Rate, c.Declared.Criterion, c.Declared.Structure, follows));
        }

        return new MaskSet(model, result);
    }

    /// <summary>
    /// Gives layers their own rate or criterion on top of what they were attached with (a method's per-layer
    /// overrides); call it before the first pruning event.
    /// </summary>
    /// <exception cref="ArgumentException">An override names no masked layer, or its rate is outside (0, 1).</exception>
    public void Override(IReadOnlyList<LayerOverride> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        foreach (var layer in overrides)
        {
            var matching = weights.Where(w => w.LayerName == layer.Layer).ToList();
            if (matching.Count == 0)
            {
                throw new ArgumentException($"The method overrides layer '{layer.Layer}', which is not a masked layer of {Model.GetType().Name}. Masked layers: {string.Join(", ", weights.Select(w => w.LayerName).Distinct())}.", nameof(overrides));
            }

            CheckRate(layer.Rate, layer.Layer, nameof(overrides));

            foreach (var weight in matching)
            {
                weight.Rate = layer.Rate ?? weight.Rate;
                weight.Criterion = layer.Criterion is { } kind ? PruningCriteria.Of(kind) : weight.Criterion;
            }
        }
    }

    /// <summary>The suffix of mask buffers: the mask of <c>weight</c> is the buffer <c>weight_mask</c>.</summary>
    public const string MaskBufferSuffix = "_mask";

    /// <summary>Whether a state-dictionary entry (for example <c>fc1.weight_mask</c>) is a mask buffer.</summary>
    public static bool IsMaskBuffer(string name) => name.EndsWith(MaskBufferSuffix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="module"/> is a layer whose weight Lottery can prune.</summary>
    public static bool IsPrunableLayer(nn.Module module) => module is Linear or Conv1d or Conv2d or Conv3d;

    /// <summary>The prunable parameter with the given full name (for example <c>fc1.weight</c>).</summary>
    public PrunableWeight this[string name] =>
        weights.FirstOrDefault(w => w.Name == name)
        ?? throw new KeyNotFoundException($"No prunable parameter named '{name}'. Known: {string.Join(", ", weights.Select(w => w.Name))}.");

    /// <summary>
    /// The mask of <paramref name="layer"/>'s parameter <paramref name="parameterName"/> (<c>weight</c> or
    /// <c>bias</c>), found by the layer object itself: generated accessors use this, so that one layer's missing or
    /// unmasked parameter cannot shift which mask another accessor returns.
    /// </summary>
    /// <exception cref="InvalidOperationException">That parameter has no mask in this set (it is not pruned, or the layer is not one of the set's).</exception>
    public PrunableWeight Of(nn.Module layer, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(parameterName);
        var match = weights.FirstOrDefault(w => ReferenceEquals(w.Layer, layer) && w.ParameterName == parameterName);
        if (match is not null)
        {
            return match;
        }

        var modelName = Model.GetType().Name;
        var masked = string.Join(", ", weights.Select(w => w.Name));
        var layerName = Model.named_modules().FirstOrDefault(m => ReferenceEquals(m.Item2, layer)).Item1;
        throw new InvalidOperationException(layerName is null
            ? $"The {layer.GetType().Name} given is not a layer of {modelName}, so it has no mask. Masked parameters: {masked}."
            : $"{modelName}.{layerName}.{parameterName} has no mask: it is not among the pruned parameters ({masked}). {(parameterName == "bias" ? "To prune a layer's bias, declare it [Prunable(PruneBias = true)]." : "To prune it, declare the layer [Prunable].")}");
    }

    /// <summary>The weights at initialisation (or at the last <see cref="CaptureInitialWeights"/>).</summary>
    public Tensor InitialWeight(PrunableWeight weight) => initialWeights[weight];

    /// <summary>Records the current weights as the initial weights that criteria such as LeastChange compare against.</summary>
    public void CaptureInitialWeights()
    {
        using var noGrad = no_grad();
        foreach (var weight in weights)
        {
            if (initialWeights.Remove(weight, out var old))
            {
                old.Dispose();
            }

            initialWeights[weight] = weight.Parameter.detach().clone().DetachFromDisposeScope();
        }
    }

    /// <summary>Zeroes the pruned entries of every masked parameter, in place.</summary>
    public void ApplyToWeights()
    {
        using var noGrad = no_grad();
        foreach (var weight in weights)
        {
            weight.Parameter.mul_(weight.Mask);
        }
    }

    /// <summary>Zeroes the gradient at pruned entries, so that they feed neither the update nor the optimizer's state.</summary>
    public void ApplyToGradients()
    {
        using var noGrad = no_grad();
        foreach (var weight in weights)
        {
            weight.Parameter.grad?.mul_(weight.Mask);
        }
    }

    /// <summary>
    /// Clears the optimizer's per-parameter state at pruned entries (SGD momentum and Adam's first moment to
    /// zero, Adam's unused second moment to a neutral 1.0), so that momentum gathered before a pruning event
    /// cannot move a pruned weight. Call it after each pruning event and whenever an optimizer is created.
    /// </summary>
    public void ApplyToOptimizerState(optim.Optimizer optimizer) => OptimizerStateMasking.Apply(optimizer, weights);

    /// <summary>
    /// Whether, for <paramref name="optimizer"/>, masking the gradients before each step (with the state cleared
    /// by <see cref="ApplyToOptimizerState"/>) keeps pruned weights exactly zero, so that
    /// <see cref="ApplyToWeights"/> need not follow every step. True for SGD, Adam and AdamW.
    /// </summary>
    public static bool MaskedGradientsSuffice(optim.Optimizer optimizer) => OptimizerStateMasking.KeepsZeroWeightsZero(optimizer);

    /// <summary>Recounts remaining weights from the mask buffers (after loading a saved model).</summary>
    public void RefreshRemaining()
    {
        foreach (var weight in weights)
        {
            weight.RefreshRemaining();
        }
    }

    /// <summary>One line per prunable parameter: name, shape, weights remaining and sparsity, then the total.</summary>
    public string Describe()
    {
        var width = Math.Max(5, weights.Max(w => w.Name.Length));
        var lines = weights.Select(w => FormattableString.Invariant(
            $"{w.Name.PadRight(width)}  {string.Join("x", w.Parameter.shape),-14}  {w.Remaining,10:N0} / {w.Count,-10:N0}  {w.WeightsRemaining * 100,6:F2}% remaining  {w.Sparsity * 100,6:F2}% sparse"));
        var total = FormattableString.Invariant(
            $"{"total".PadRight(width)}  {string.Empty,-14}  {Remaining,10:N0} / {Count,-10:N0}  {WeightsRemaining * 100,6:F2}% remaining  {(1 - WeightsRemaining) * 100,6:F2}% sparse");
        return string.Join(Environment.NewLine, lines.Append(total));
    }

    /// <summary>Copies of the masks, by parameter name (for comparing or saving apart from the model).</summary>
    public Dictionary<string, Tensor> CopyMasks()
    {
        using var noGrad = no_grad();
        return weights.ToDictionary(w => w.Name, w => w.Mask.clone().DetachFromDisposeScope());
    }

    /// <summary>Sets every mask from <paramref name="masks"/> (by parameter name) and zeroes the pruned weights.</summary>
    public void LoadMasks(IReadOnlyDictionary<string, Tensor> masks)
    {
        using var noGrad = no_grad();
        foreach (var weight in weights)
        {
            if (!masks.TryGetValue(weight.Name, out var mask))
            {
                throw new ArgumentException($"No mask given for '{weight.Name}'.", nameof(masks));
            }

            weight.Mask.copy_(mask);
            weight.RefreshRemaining();
        }

        ApplyToWeights();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var tensor in initialWeights.Values)
        {
            tensor.Dispose();
        }

        initialWeights.Clear();
    }

    private static void CheckRate(double? rate, string layer, string parameter)
    {
        if (rate is { } own && !(own > 0 && own < 1))
        {
            throw new ArgumentException($"The rate {own} for {layer} is outside (0, 1): it is the fraction of the remaining weights removed at each pruning event.", parameter);
        }
    }

    private static void CheckStructure(PrunableLayer declared, nn.Module layer, string modelName)
    {
        var fits = declared.Structure switch
        {
            Structure.Unstructured => true,
            Structure.Neurons => layer is Linear,
            Structure.Channels => layer is Conv1d or Conv2d or Conv3d,
            _ => false,
        };
        if (!fits)
        {
            throw new ArgumentException(
                $"{modelName}.{declared.Member} is a {layer.GetType().Name} declared Structure = {declared.Structure}: neurons are a Linear's output units and channels a Conv's output channels. Use {(layer is Linear ? "Neurons" : "Channels")} (or Unstructured).",
                "layers");
        }
    }

    private static bool HasBias(nn.Module layer) => layer.named_parameters(recurse: false).Any(p => p.Item1 == "bias");

    private static Tensor MaskBuffer(nn.Module layer, string parameterName, Parameter parameter)
    {
        var bufferName = parameterName + MaskBufferSuffix;
        var existing = layer.named_buffers(recurse: false).FirstOrDefault(b => b.Item1 == bufferName).Item2;
        if (existing is not null)
        {
            return existing;
        }

        var mask = ones_like(parameter).DetachFromDisposeScope();
        layer.register_buffer(bufferName, mask, persistent: true);
        return mask;
    }
}
