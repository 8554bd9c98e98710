using Lottery.Criteria;

namespace Lottery.Masks;

/// <summary>Which parameters of a model are pruned, and at which rates.</summary>
public sealed record MaskOptions
{
    /// <summary>
    /// Layer names to prune; null means every prunable layer of the model (Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d,
    /// Embedding). Give an empty list to prune only <see cref="Parameters"/>.
    /// </summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>
    /// Further weights to prune, each by its full name in <c>named_parameters()</c>, whatever module holds it: for example
    /// <c>encoder.self_attn.in_proj_weight</c> (MultiheadAttention's input projection) or <c>encoder.linear1.weight</c>
    /// (inside a TransformerEncoderLayer, whose layers are not modules of their own). They are pruned weight by weight
    /// (unstructured), at the method's rate and criterion.
    /// </summary>
    public IReadOnlyList<string> Parameters { get; init; } = [];

    /// <summary>Per-layer rates overriding the schedule's rate, by layer name (for example <c>["fc3"] = 0.1</c>).</summary>
    public IReadOnlyDictionary<string, double> LayerRates { get; init; } = new Dictionary<string, double>();

    /// <summary>Per-layer criteria overriding the run's, by layer name.</summary>
    public IReadOnlyDictionary<string, IPruningCriterion> LayerCriteria { get; init; } = new Dictionary<string, IPruningCriterion>();

    /// <summary>
    /// Also prune the biases of the chosen layers (off by default, as in the paper). A layer created without a
    /// bias is skipped, not refused, since this asks for every bias there is; a single declared layer whose bias is
    /// missing (<see cref="PrunableLayer.PruneBias"/>) is an error instead.
    /// </summary>
    public bool PruneBiases { get; init; }

    /// <summary>Per-layer structures (neurons of a Linear, channels of a Conv), by layer name; unstructured when not given.</summary>
    public IReadOnlyDictionary<string, Structure> LayerStructures { get; init; } = new Dictionary<string, Structure>();
}
