using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>The masks copied out and loaded back in.</summary>
public sealed partial class MaskSet : IDisposable
{
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
}
