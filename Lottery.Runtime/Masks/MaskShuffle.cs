using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Random pruning with a given mask's sparsity: each mask's entries moved to random positions within the same tensor.</summary>
public static class MaskShuffle
{
    /// <summary>
    /// Shuffles the entries of every mask in place, masks in name order, with one generator seeded by
    /// <paramref name="seed"/>: each keeps its count of kept entries, at random positions.
    /// </summary>
    public static void WithinEachMask(IReadOnlyDictionary<string, Tensor> masks, long seed)
    {
        ArgumentNullException.ThrowIfNull(masks);
        using var generator = new Generator(unchecked((ulong)seed));
        using var noGrad = no_grad();
        foreach (var name in masks.Keys.Order(StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();
            var mask = masks[name];
            var flat = mask.reshape(-1);
            var shuffled = flat.index_select(0, randperm(flat.shape[0], generator: generator));
            mask.copy_(shuffled.reshape(mask.shape));
        }
    }
}
