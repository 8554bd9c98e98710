namespace Lottery.Masks;

/// <summary>
/// A model that knows its own prunable layers: the source generator implements it for every class with
/// <see cref="PrunableAttribute"/> members, from the declarations, with no search or reflection at run time.
/// </summary>
public interface IPrunableModel
{
    /// <summary>The masks, once attached; null before <see cref="AttachMasks"/>.</summary>
    MaskSet? Masks { get; }

    /// <summary>Registers the declared layers' mask buffers, its submodules' included (once; later calls return the same set).</summary>
    MaskSet AttachMasks();

    /// <summary>
    /// The layers this module itself declares [Prunable], named by their members, not those of its submodules:
    /// <see cref="DeclaredLayers.Of"/> gathers those from each submodule and names them by their place in the model.
    /// </summary>
    IReadOnlyList<PrunableLayer> OwnLayers() => [];
}
