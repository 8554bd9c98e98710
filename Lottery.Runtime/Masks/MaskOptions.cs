using Lottery.Criteria;

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
    /// missing (<see cref="PrunableLayer.PruneBias"/>) is an error instead.
    /// </summary>
    public bool PruneBiases { get; init; }

    /// <summary>Per-layer structures (neurons of a Linear, channels of a Conv), by layer name; unstructured when not given.</summary>
    public IReadOnlyDictionary<string, Structure> LayerStructures { get; init; } = new Dictionary<string, Structure>();
}
