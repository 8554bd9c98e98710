using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Named tensors in one binary stream or file, as written by TorchSharp's <c>Tensor.Save</c>.</summary>
public static class TensorFile
{
    /// <summary>Writes the tensors, in name order, as CPU tensors (TorchSharp's <c>Tensor.Save</c> copies a GPU tensor to the CPU first), so they read back on any machine.</summary>
    public static void Write(BinaryWriter writer, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensors);
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            writer.Write(name);
            tensor.Save(writer);
        }
    }

    /// <summary>Reads tensors written by <see cref="Write(BinaryWriter, IReadOnlyDictionary{string, Tensor})"/>, onto the CPU; the caller owns them.</summary>
    public static Dictionary<string, Tensor> Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"A tensor file cannot hold {count} tensors.");
        }

        var tensors = new Dictionary<string, Tensor>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            tensors[name] = TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
        }

        return tensors;
    }

    /// <summary>Writes the tensors to <paramref name="path"/> atomically (a temporary file moved into place).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        AtomicFile.Write(path, temporary =>
        {
            using var writer = new BinaryWriter(File.Create(temporary));
            Write(writer, tensors);
        });
    }

    /// <summary>Reads a file written by <see cref="Save"/>; the caller owns the tensors.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or not a tensor file.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No tensor file at '{path}'.", path);
        }

        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            return Read(reader);
        }
        catch (Exception error) when (error is EndOfStreamException or ArgumentException or InvalidOperationException or NotImplementedException)
        {
            throw new InvalidDataException($"'{path}' is not a readable tensor file ({error.Message}).", error);
        }
    }
}
