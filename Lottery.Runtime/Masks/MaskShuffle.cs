using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Random pruning with a given mask's sparsity: each mask's entries moved to random positions within the same tensor.</summary>
public static class MaskShuffle
{
    /// <summary>
    /// Shuffles the entries of every mask in place, masks in name order, with one generator seeded by
    /// <paramref name="seed"/>: each keeps its count of kept entries, at random positions. With
    /// <paramref name="layout"/> (the mask set the masks belong to), a structured layer's mask keeps its structure:
    /// its units (rows) are shuffled whole, and its bias mask moves with them. The permutations are drawn on the CPU and
    /// moved to each mask's device, so a seed shuffles the same way on every device.
    /// </summary>
    public static void WithinEachMask(IReadOnlyDictionary<string, Tensor> masks, long seed, MaskSet? layout = null)
    {
        ArgumentNullException.ThrowIfNull(masks);
        using var generator = new Generator(unchecked((ulong)seed));
        using var noGrad = no_grad();
        foreach (var name in masks.Keys.Order(StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();
            var weight = layout?.Weights.FirstOrDefault(w => w.Name == name);
            if (weight?.Follows is not null)
            {
                continue;   // a structured layer's bias moves with its units, below
            }

            var mask = masks[name];
            if (weight is { IsStructured: true })
            {
                var order = OnDeviceOf(mask, randperm(weight.Units, generator: generator));
                var rows = mask.reshape(weight.Units, -1);
                rows.copy_(rows.index_select(0, order));
                foreach (var bias in layout!.Weights.Where(b => ReferenceEquals(b.Follows, weight) && masks.ContainsKey(b.Name)))
                {
                    var biasMask = masks[bias.Name];
                    biasMask.copy_(biasMask.index_select(0, order));
                }

                continue;
            }

            var flat = mask.reshape(-1);
            var shuffled = flat.index_select(0, OnDeviceOf(mask, randperm(flat.shape[0], generator: generator)));
            mask.copy_(shuffled.reshape(mask.shape));
        }
    }

    private static Tensor OnDeviceOf(Tensor mask, Tensor permutation) =>
        mask.device_type == DeviceType.CPU ? permutation : permutation.to(mask.device);
}
