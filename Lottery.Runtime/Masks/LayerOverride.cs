namespace Lottery.Masks;

/// <summary>A layer's own rate or criterion inside a <see cref="Runs.PruningMethod"/>, overriding the method's and the model's declaration.</summary>
/// <param name="Layer">The layer's name in the model (for example <c>fc3</c>; for a declared layer, its field's name).</param>
/// <param name="Rate">Its own rate in (0, 1), or null to keep the declared one.</param>
/// <param name="Criterion">Its own criterion, or null to keep the declared one.</param>
public sealed record LayerOverride(string Layer, double? Rate = null, CriterionKind? Criterion = null);
