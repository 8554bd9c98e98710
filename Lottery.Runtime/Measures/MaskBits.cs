using System.Numerics;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.Measures;

/// <summary>
/// A set of masks as one row of bits, a kept entry a 1, in a fixed order (the masks' names in ordinal order, each
/// flattened row-major), so that two masks of one model compare entry by entry: how far apart they are (Early-Bird's
/// normalised Hamming distance, You et al. 2020) and how much they overlap (Jaccard: kept in both over kept in either).
/// </summary>
public sealed class MaskBits
{
    private readonly ulong[] words;

    private MaskBits(ulong[] words, long count, string layout)
    {
        this.words = words;
        Count = count;
        Layout = layout;
    }

    /// <summary>The number of entries.</summary>
    public long Count { get; }

    /// <summary>The entries kept.</summary>
    public long Kept => words.Sum(w => (long)BitOperations.PopCount(w));

    /// <summary>The masks' names and sizes, in order: two masks compare only when this is the same.</summary>
    public string Layout { get; }

    /// <summary>The bits of a mask set's masks as they are now, read in place (by parameter name, as <see cref="MaskSet.CopyMasks"/> names them).</summary>
    public static MaskBits Of(MaskSet masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        return Of(masks.Weights.ToDictionary(w => w.Name, w => w.Mask));
    }

    /// <summary>The bits of <paramref name="masks"/> (any nonzero entry is kept).</summary>
    public static MaskBits Of(IReadOnlyDictionary<string, Tensor> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var names = masks.Keys.Order(StringComparer.Ordinal).ToList();
        var total = names.Sum(n => masks[n].numel());
        var bits = new ulong[(total + 63) / 64];
        long index = 0;
        using var scope = NewDisposeScope();
        foreach (var name in names)
        {
            var kept = masks[name].detach().ne(0).cpu().reshape(-1);
            foreach (var value in kept.data<bool>())
            {
                if (value)
                {
                    bits[index >> 6] |= 1UL << (int)(index & 63);
                }

                index++;
            }
        }

        return new MaskBits(bits, total, string.Join(";", names.Select(n => $"{n}:{masks[n].numel()}")));
    }

    /// <summary>The bits as text (base64 of the words, with the layout), to keep in a checkpoint's JSON.</summary>
    public string Save() => Layout + "|" + Count + "|" + Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));

    /// <summary>Bits saved with <see cref="Save"/>.</summary>
    /// <exception cref="FormatException">The text was not written by <see cref="Save"/>.</exception>
    public static MaskBits Load(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('|');
        if (parts.Length != 3 || !long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            throw new FormatException("Not saved mask bits.");
        }

        var bytes = Convert.FromBase64String(parts[2]);
        var words = new ulong[(count + 63) / 64];
        if (bytes.Length != words.Length * 8)
        {
            throw new FormatException($"Saved mask bits hold {bytes.Length} bytes for {count} entries.");
        }

        Buffer.BlockCopy(bytes, 0, words, 0, bytes.Length);
        return new MaskBits(words, count, parts[0]);
    }

    /// <summary>The fraction of entries kept in one and not the other (0: the same mask; 1: complements).</summary>
    /// <exception cref="ArgumentException">The two come from masks of other names or sizes.</exception>
    public double Distance(MaskBits other)
    {
        Check(other);
        long differing = 0;
        for (var i = 0; i < words.Length; i++)
        {
            differing += BitOperations.PopCount(words[i] ^ other.words[i]);
        }

        return Count == 0 ? 0 : (double)differing / Count;
    }

    /// <summary>Entries kept in both over entries kept in either (1 for two empty masks).</summary>
    /// <exception cref="ArgumentException">The two come from masks of other names or sizes.</exception>
    public double Jaccard(MaskBits other)
    {
        Check(other);
        long both = 0, either = 0;
        for (var i = 0; i < words.Length; i++)
        {
            both += BitOperations.PopCount(words[i] & other.words[i]);
            either += BitOperations.PopCount(words[i] | other.words[i]);
        }

        return either == 0 ? 1 : (double)both / either;
    }

    private void Check(MaskBits other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Layout != Layout)
        {
            throw new ArgumentException($"The masks differ in names or sizes ({Layout} against {other.Layout}); only masks of one model compare.", nameof(other));
        }
    }
}
