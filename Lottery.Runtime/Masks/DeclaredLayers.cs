using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// The [Prunable] layers of a model and of every submodule it holds, at any depth: what a generated
/// <c>AttachMasks</c> attaches. A block declared once and used twice is two sets of layers; each layer is named as
/// the model's state dictionary names it (<c>layer1.0.conv1</c>).
/// </summary>
public static class DeclaredLayers
{
    /// <summary>
    /// The declared layers of <paramref name="model"/> (its own first, then each submodule's in registration order), each
    /// named by its path in the model.
    /// </summary>
    /// <exception cref="ArgumentException">Neither the model nor any of its submodules declares a layer.</exception>
    public static IReadOnlyList<PrunableLayer> Of(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = new List<PrunableLayer>();
        if (model is IPrunableModel own)
        {
            layers.AddRange(own.OwnLayers());
        }

        foreach (var (path, module) in model.named_modules())
        {
            if (path.Length > 0 && !ReferenceEquals(module, model) && module is IPrunableModel block)
            {
                layers.AddRange(block.OwnLayers().Select(layer => layer with { Member = $"{path}.{layer.Member}" }));
            }
        }

        if (layers.Count == 0)
        {
            throw new ArgumentException(
                $"{model.GetType().Name} has no [Prunable] layer, and neither has any module it holds: mark the layers to prune with [Prunable], in the model or in its blocks (partial classes deriving from nn.Module), and register them (RegisterComponents).",
                nameof(model));
        }

        return layers;
    }
}
