using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Which of Lottery's two artifacts a sparse file holds.</summary>
public enum ArtifactKind
{
    /// <summary>A ticket: the masks with the weights training starts from (initialisation, or the rewind epoch).</summary>
    Ticket = 1,

    /// <summary>A pruned model: the masks with the trained weights.</summary>
    PrunedModel = 2,

    /// <summary>
    /// A compacted model: a pruned model made smaller in place (<c>Compactor.CompactInPlace</c>), its weights with the sizes
    /// of its resized modules, so that a fresh instance of its class is resized before they load.
    /// </summary>
    CompactedModel = 3,
}

/// <summary>
/// Lottery's sparse file: a model's state dictionary in which every masked parameter keeps only its surviving
/// entries (their values, bit for bit, and their positions), so the file's size follows the weights remaining.
/// </summary>
/// <remarks>
/// Layout (little-endian): the 8 bytes <c>LTSPARSE</c>, a format version (int32), the artifact kind (byte), the
/// model's type name, the entry count, then per state-dictionary entry (mask buffers excluded) its name, dtype,
/// shape and either its raw values (an unmasked parameter or a buffer) or, for a masked parameter, the count of
/// surviving entries, their positions and their raw values. Positions are written as a bitmask (one bit an entry)
/// or as the gaps between surviving positions in .NET's 7-bit encoding (LEB128), whichever is smaller (gaps win below about one entry in
/// eight). The file ends with the SHA-256 of everything before it, so a damaged file is told apart from another
/// model's.
/// </remarks>
internal static class SparseStateFile
{
    private const int Version = 1;
    private const int HashLength = 32;
    private static readonly byte[] Magic = "LTSPARSE"u8.ToArray();

    private enum Encoding : byte
    {
        Dense = 0,
        Bitmask = 1,
        Gaps = 2,
    }

    /// <summary>Whether the file at <paramref name="path"/> starts like a sparse file (a quick check, not a validation).</summary>
    public static bool LooksLikeSparseFile(string path)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[Magic.Length];
        return stream.Read(head, 0, head.Length) == head.Length && head.AsSpan().SequenceEqual(Magic);
    }

    /// <summary>The artifact kind and model type a sparse file starts with, read without decoding (or checking) the rest.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">It does not start as a sparse file of this format does.</exception>
    public static (ArtifactKind Kind, string ModelType) ReadHeader(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No file at '{path}'.", path);
        }

        using var reader = new BinaryReader(File.OpenRead(path), System.Text.Encoding.UTF8);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != Version)
            {
                throw new InvalidDataException($"'{path}' is not a Lottery sparse file of format {Version}.");
            }

            var kind = (ArtifactKind)reader.ReadByte();
            return Enum.IsDefined(kind) ? (kind, reader.ReadString()) : throw new InvalidDataException($"'{path}' holds an unknown artifact kind {(int)kind}.");
        }
        catch (EndOfStreamException error)
        {
            throw new InvalidDataException($"'{path}' is too short to be a Lottery sparse file.", error);
        }
    }

    /// <summary>Writes <paramref name="model"/>'s state, its masked parameters sparse, to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, ArtifactKind kind, nn.Module model, IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, Tensor> masks, string? sizes = null)
    {
        if ((kind == ArtifactKind.CompactedModel) != (sizes is not null))
        {
            throw new ArgumentException("A compacted model's file, and only it, carries its modules' sizes.", nameof(sizes));
        }

        AtomicFile.Write(path, temporary =>
        {
            using var memory = new MemoryStream();
            using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(Version);
                writer.Write((byte)kind);
                writer.Write(model.GetType().FullName ?? model.GetType().Name);
                if (sizes is not null)
                {
                    writer.Write(sizes);
                }

                var entries = state.Where(e => !MaskSet.IsMaskBuffer(e.Key)).ToList();
                writer.Write(entries.Count);
                foreach (var (name, tensor) in entries)
                {
                    WriteEntry(writer, name, tensor, masks.GetValueOrDefault(name));
                }
            }

            var body = memory.GetBuffer().AsSpan(0, (int)memory.Length);
            using var file = File.Create(temporary);
            file.Write(body);
            file.Write(SHA256.HashData(body));
        });
    }

    /// <summary>Reads a sparse file; the caller owns the tensors of the result.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a sparse file, or it is damaged; the message names it.</exception>
    public static SparseState Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No file at '{path}'.", path);
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a Lottery sparse file (it does not start with LTSPARSE).");
        }

        if (bytes.Length < Magic.Length + HashLength || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashLength)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
        {
            throw new InvalidDataException($"'{path}' is damaged: its checksum does not match its content (a truncated or altered file). Save it again from the run or model it came from.");
        }

        var state = new SparseState();
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - HashLength), System.Text.Encoding.UTF8);
            reader.ReadBytes(Magic.Length);
            var version = reader.ReadInt32();
            if (version != Version)
            {
                throw new InvalidDataException($"'{path}' is a sparse file of format {version}; this version of Lottery reads format {Version}.");
            }

            state.Kind = (ArtifactKind)reader.ReadByte();
            if (!Enum.IsDefined(state.Kind))
            {
                throw new InvalidDataException($"'{path}' holds an unknown artifact kind {(int)state.Kind}.");
            }

            state.ModelType = reader.ReadString();
            state.Sizes = state.Kind == ArtifactKind.CompactedModel ? reader.ReadString() : null;
            var count = reader.ReadInt32();
            if (count < 0)
            {
                throw new Malformed($"it claims {count} entries");
            }

            for (var i = 0; i < count; i++)
            {
                ReadEntry(reader, state);
            }

            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new Malformed($"{reader.BaseStream.Length - reader.BaseStream.Position} bytes follow its last entry");
            }

            return state;
        }
        catch (Exception error) when (error is Malformed or EndOfStreamException or ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException)
        {
            state.Dispose();
            throw new InvalidDataException($"'{path}' cannot be read as a sparse file ({error.Message}).", error);
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private static void WriteEntry(BinaryWriter writer, string name, Tensor tensor, Tensor? mask)
    {
        if (ElementSize(tensor.dtype) is null)
        {
            throw new ArgumentException($"{name} is a {tensor.dtype} tensor, which Lottery's sparse file does not hold (it holds float, integer and bool tensors).", nameof(tensor));
        }

        using var scope = NewDisposeScope();
        var values = tensor.detach().cpu().contiguous();
        writer.Write(name);
        writer.Write((byte)values.dtype);
        writer.Write((byte)values.dim());
        foreach (var size in values.shape)
        {
            writer.Write(size);
        }

        if (mask is null)
        {
            writer.Write((byte)Encoding.Dense);
            writer.Write(values.bytes);
            return;
        }

        var numel = values.numel();
        var positions = mask.detach().cpu().reshape(-1).nonzero().reshape(-1).data<long>().ToArray();
        var bitmask = BitmaskLength(numel);
        var gaps = EncodeGaps(positions);
        var encoding = gaps.Length < bitmask ? Encoding.Gaps : Encoding.Bitmask;
        writer.Write((byte)encoding);
        writer.Write((long)positions.Length);
        if (encoding == Encoding.Gaps)
        {
            writer.Write(gaps.Length);
            writer.Write(gaps);
        }
        else
        {
            writer.Write(EncodeBitmask(positions, numel));
        }

        var index = torch.tensor(positions, dtype: ScalarType.Int64);
        var kept = values.reshape(-1).index_select(0, index).contiguous();
        writer.Write(kept.bytes);
    }

    private static void ReadEntry(BinaryReader reader, SparseState state)
    {
        var name = reader.ReadString();
        if (state.Values.ContainsKey(name))
        {
            throw new Malformed($"entry '{name}' appears twice");
        }

        var dtype = (ScalarType)reader.ReadByte();
        var rank = reader.ReadByte();
        var shape = new long[rank];
        for (var d = 0; d < rank; d++)
        {
            shape[d] = reader.ReadInt64();
            if (shape[d] < 0)
            {
                throw new Malformed($"entry '{name}' has a negative size");
            }
        }

        var numel = shape.Aggregate(1L, (a, b) => checked(a * b));
        var encoding = (Encoding)reader.ReadByte();
        var element = ElementSize(dtype) ?? throw new Malformed($"entry '{name}' has dtype {dtype}, which a sparse file does not hold");
        if (encoding == Encoding.Dense)
        {
            var raw = ReadExactly(reader, checked(numel * element), name);
            var dense = empty(shape, dtype).DetachFromDisposeScope();
            state.Values[name] = dense;
            dense.bytes = raw;
            return;
        }

        var count = reader.ReadInt64();
        if (count < 0 || count > numel)
        {
            throw new Malformed($"entry '{name}' claims {count} surviving entries of {numel}");
        }

        long[] positions;
        if (encoding == Encoding.Gaps)
        {
            positions = DecodeGaps(ReadExactly(reader, reader.ReadInt32(), name), count, numel, name);
        }
        else if (encoding == Encoding.Bitmask)
        {
            positions = DecodeBitmask(ReadExactly(reader, BitmaskLength(numel), name), count, numel, name);
        }
        else
        {
            throw new Malformed($"entry '{name}' has an unknown encoding {(byte)encoding}");
        }

        var keptBytes = ReadExactly(reader, checked(count * element), name);
        using var scope = NewDisposeScope();
        var kept = empty(count, dtype);
        kept.bytes = keptBytes;
        var index = torch.tensor(positions, dtype: ScalarType.Int64);
        var values = zeros(numel, dtype);
        values.index_copy_(0, index, kept);
        var mask = zeros(numel, dtype);
        mask.index_fill_(0, index, 1);
        state.Values[name] = values.reshape(shape).MoveToOuterDisposeScope().DetachFromDisposeScope();
        state.Masks[name] = mask.reshape(shape).MoveToOuterDisposeScope().DetachFromDisposeScope();
    }

    private static long? ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => null,
    };

    /// <summary>Exactly <paramref name="length"/> bytes, checked against what is left before anything is allocated.</summary>
    private static byte[] ReadExactly(BinaryReader reader, long length, string name)
    {
        var left = reader.BaseStream.Length - reader.BaseStream.Position;
        if (length < 0 || length > left)
        {
            throw new Malformed($"entry '{name}' needs {length} bytes but {left} are left");
        }

        return reader.ReadBytes((int)length);
    }

    private static long BitmaskLength(long numel) => (numel + 7) / 8;

    private static byte[] EncodeBitmask(long[] positions, long numel)
    {
        var bits = new byte[BitmaskLength(numel)];
        foreach (var p in positions)
        {
            bits[p >> 3] |= (byte)(1 << (int)(p & 7));
        }

        return bits;
    }

    private static long[] DecodeBitmask(byte[] bits, long count, long numel, string name)
    {
        var positions = new long[count];
        long found = 0;
        for (long p = 0; p < numel; p++)
        {
            if ((bits[p >> 3] & (1 << (int)(p & 7))) != 0)
            {
                if (found == count)
                {
                    throw new Malformed($"entry '{name}' has more positions than its count {count}");
                }

                positions[found++] = p;
            }
        }

        return found == count ? positions : throw new Malformed($"entry '{name}' has {found} positions, not {count}");
    }

    private static byte[] EncodeGaps(long[] positions)
    {
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer);
        var previous = -1L;
        foreach (var p in positions)
        {
            writer.Write7BitEncodedInt64(p - previous - 1);
            previous = p;
        }

        writer.Flush();
        return buffer.ToArray();
    }

    private static long[] DecodeGaps(byte[] bytes, long count, long numel, string name)
    {
        var positions = new long[count];
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var previous = -1L;
        for (long i = 0; i < count; i++)
        {
            long gap;
            try
            {
                gap = reader.Read7BitEncodedInt64();
            }
            catch (Exception error) when (error is EndOfStreamException or FormatException)
            {
                throw new Malformed($"entry '{name}' has truncated or malformed positions");
            }

            if (gap < 0 || gap >= numel)
            {
                throw new Malformed($"entry '{name}' has a gap of {gap} positions in {numel} entries");
            }

            previous = checked(previous + 1 + gap);
            if (previous >= numel)
            {
                throw new Malformed($"entry '{name}' has a position {previous} beyond its {numel} entries");
            }

            positions[i] = previous;
        }

        return positions;
    }
}

/// <summary>A structural problem found while decoding a sparse file; reported with the file's path.</summary>
internal sealed class Malformed(string message) : Exception(message);

/// <summary>What a sparse file holds: every entry's values (dense again, zeros where pruned) and the masks of the masked ones.</summary>
internal sealed class SparseState : IDisposable
{
    public ArtifactKind Kind { get; set; }

    public string ModelType { get; set; } = string.Empty;

    /// <summary>A compacted model's module sizes, as JSON (<c>Compactor.Resize</c>); null for the other kinds.</summary>
    public string? Sizes { get; set; }

    public Dictionary<string, Tensor> Values { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Tensor> Masks { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var tensor in Values.Values.Concat(Masks.Values))
        {
            tensor.Dispose();
        }

        Values.Clear();
        Masks.Clear();
    }
}
