using Lottery.Groups;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// The masks of one model: finds its prunable layers, registers a mask buffer per prunable parameter,
/// keeps pruned entries exactly zero in the weights, their gradients and the optimizer's state, and
/// keeps a copy of the weights at initialisation for the criteria that compare against it.
/// </summary>
public sealed partial class MaskSet : IDisposable
{
    private readonly List<PrunableWeight> weights;

    private readonly Dictionary<PrunableWeight, Tensor> initialWeights = [];

    // Which mask set each masked layer belongs to, so that a block whose layers its model masked finds them.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<nn.Module, MaskSet> Holders = new();

    private MaskSet(nn.Module model, List<PrunableWeight> weights)
    {
        Model = model;
        this.weights = weights;
        CaptureInitialWeights();
        foreach (var weight in weights)
        {
            Holders.AddOrUpdate(weight.Layer, this);
        }
    }

    /// <summary>
    /// The mask set that masks <paramref name="layer"/>, attached by the model that holds it (a block's layers are
    /// masked by its model's <c>AttachMasks</c>); null when none does. Generated accessors of a block use it.
    /// </summary>
    public static MaskSet? Holding(nn.Module layer) =>
        layer is not null && Holders.TryGetValue(layer, out var set) ? set : null;

    /// <summary>The model the masks belong to.</summary>
    public nn.Module Model { get; }

    /// <summary>
    /// The prunable parameters, in the order their layers were given (the model's registration order when the layers
    /// were found by a search). A position depends on every layer before it: find one mask by its layer with
    /// <see cref="Of"/>, or by its full name with the indexer.
    /// </summary>
    public IReadOnlyList<PrunableWeight> Weights => weights;

    /// <summary>Total number of prunable entries (a structured layer's bias, which follows its units, and the entries a dependency group couples not counted).</summary>
    public long Count => weights.Where(w => w.IsCounted).Sum(w => w.Count);

    /// <summary>Number of prunable entries not yet pruned (counted as <see cref="Count"/> counts).</summary>
    public long Remaining => weights.Where(w => w.IsCounted).Sum(w => w.Remaining);

    /// <summary>Fraction of the prunable weights still remaining (1.0 for a dense model).</summary>
    public double WeightsRemaining => (double)Remaining / Count;

    /// <summary>The suffix of mask buffers: the mask of <c>weight</c> is the buffer <c>weight_mask</c>.</summary>
    public const string MaskBufferSuffix = "_mask";

    /// <summary>Whether a state-dictionary entry (for example <c>fc1.weight_mask</c>) is a mask buffer.</summary>
    public static bool IsMaskBuffer(string name) => name.EndsWith(MaskBufferSuffix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="module"/> is a layer whose weight Lottery can prune.</summary>
    public static bool IsPrunableLayer(nn.Module module) => WeightNames(module).Count > 0;

    /// <summary>
    /// The weights a prunable layer's mask covers, by their names on the layer: <c>weight</c> for Linear, Conv,
    /// ConvTranspose and Embedding; the input projection (Q, K and V) and the output projection for MultiheadAttention (and
    /// Lottery's SelfAttention); and for a TransformerEncoderLayer (or Lottery's EncoderLayer) or TransformerDecoderLayer, which hold their layers' weights themselves, every
    /// attention projection and both feed-forward weights. Empty for any other module.
    /// </summary>
    public static IReadOnlyList<string> WeightNames(nn.Module module)
    {
        string[] candidates = module switch
        {
            Linear or Conv1d or Conv2d or Conv3d or ConvTranspose1d or ConvTranspose2d or ConvTranspose3d or Embedding => ["weight"],
            MultiheadAttention or Layers.SelfAttention => Attention(string.Empty),
            TransformerEncoderLayer or Layers.EncoderLayer => [.. Attention("self_attn."), "linear1.weight", "linear2.weight"],
            TransformerDecoderLayer => [.. Attention("self_attn."), .. Attention("multihead_attn."), "linear1.weight", "linear2.weight"],
            _ => [],
        };
        if (candidates.Length == 0)
        {
            return [];
        }

        var present = module.named_parameters().Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        return candidates.Where(present.Contains).ToList();

        // With kdim or vdim unlike the embedding, Q, K and V have weights of their own instead of one stacked projection.
        static string[] Attention(string prefix) =>
            [prefix + "in_proj_weight", prefix + "q_proj_weight", prefix + "k_proj_weight", prefix + "v_proj_weight", prefix + "out_proj.weight"];
    }

    /// <summary>
    /// The weights whose masks live in this set rather than in a buffer of their module, so that no state dictionary has
    /// them: a parameter a module holds under a dotted name (a TransformerEncoderLayer's <c>linear1.weight</c>), which no
    /// buffer name can take. Tickets, pruned files and checkpoints carry them.
    /// </summary>
    internal IEnumerable<PrunableWeight> MasksKeptInSet => weights.Where(w => KeptInSet(w.ParameterName));

    private static bool KeptInSet(string parameterName) => parameterName.Contains('.', StringComparison.Ordinal);

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

    /// <summary>The initial weights of <paramref name="weight"/>, when they were captured.</summary>
    internal Tensor? InitialWeightOrNull(PrunableWeight weight) => initialWeights.GetValueOrDefault(weight);

    /// <summary>
    /// After compaction in place changed the shapes of the masked parameters (and sliced their masks and initial weights):
    /// recounts, and takes <paramref name="groups"/> as the set's groups (null after a compaction: the old groups' unit
    /// indices no longer hold; call <see cref="UseGroups"/> again with the compacted model's groups to prune on by groups).
    /// </summary>
    internal void Resized(DependencyGroups? groups)
    {
        Groups = groups;
        RefreshRemaining();
    }

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

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var tensor in initialWeights.Values)
        {
            tensor.Dispose();
        }

        initialWeights.Clear();

        foreach (var weight in MasksKeptInSet)
        {
            weight.Mask.Dispose();
        }
    }
}
