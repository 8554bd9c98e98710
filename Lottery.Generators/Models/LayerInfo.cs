using Lottery.Generators.Parsing;

namespace Lottery.Generators.Models;

/// <summary>A member marked [Prunable].</summary>
/// <param name="Member">The field or property name.</param>
/// <param name="LayerType">The layer's type (Linear, Conv2d, MultiheadAttention, ...), or Parameter for a weight held as a parameter.</param>
/// <param name="Rate">The layer's own rate, or null to use the schedule's.</param>
/// <param name="Criterion">The layer's own criterion (a CriterionKind name), or null to use the schedule's.</param>
/// <param name="PruneBias">Whether the bias is pruned too.</param>
/// <param name="AccessorName">The stem of the generated accessors, for example <c>Fc1</c> for <c>Fc1Mask</c>.</param>
internal sealed record LayerInfo(string Member, string LayerType, double? Rate, string? Criterion, bool PruneBias, string AccessorName)
{
    /// <summary>Neurons or Channels for a structured layer; null for the default, unstructured.</summary>
    public string? Structure { get; init; }

    /// <summary>Whether the member is declared nullable (<c>Conv2d?</c>): a layer when it holds one, nothing when it is null.</summary>
    public bool MayBeNull { get; init; }

    /// <summary>An attention or Transformer layer's declared heads; null when not given.</summary>
    public int? Heads { get; init; }

    /// <summary>Whether the member is a weight held as a <c>Parameter</c>, not a layer: its mask is on the model itself.</summary>
    public bool IsParameter => LayerType == KnownNames.ParameterType;
}
