using Lottery.Criteria;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery;

/// <summary>
/// A [Prunable] declaration as static data: which member, its layer type, and what it overrides. The source
/// generator emits one per declared layer in the model's <c>PrunableLayers</c> table.
/// </summary>
/// <param name="Member">The field or property holding the layer.</param>
/// <param name="LayerType">The layer's type (Linear, Conv2d, MultiheadAttention, ...), or Parameter for a weight held as a parameter.</param>
public sealed record LayerDeclaration(string Member, string LayerType)
{
    /// <summary>The layer's own rate, or null for the schedule's.</summary>
    public double? Rate { get; init; }

    /// <summary>The layer's own criterion, or null for the schedule's.</summary>
    public CriterionKind? Criterion { get; init; }

    /// <summary>Whether the layer's bias is pruned too.</summary>
    public bool PruneBias { get; init; }

    /// <summary>What a pruning event removes in the layer: single weights, neurons or channels.</summary>
    public Structure Structure { get; init; }

    /// <summary>An attention or Transformer layer's heads, for pruning by dependency groups; null when not declared.</summary>
    public int? Heads { get; init; }

    /// <summary>
    /// The weight to attach a mask to when the declaration is a <c>Parameter</c> member: the parameter
    /// <paramref name="name"/> registered on <paramref name="owner"/> (the module that declares it).
    /// </summary>
    public PrunableLayer ForParameter(nn.Module owner, string name) => For(owner) with { ParameterName = name };

    /// <summary>The layer to attach masks to: this declaration applied to the model's <paramref name="layer"/>.</summary>
    public PrunableLayer For(nn.Module layer) => new(Member, layer)
    {
        Rate = Rate,
        Criterion = Criterion is { } kind ? PruningCriteria.Of(kind) : null,
        PruneBias = PruneBias,
        Structure = Structure,
        Heads = Heads,
    };
}
