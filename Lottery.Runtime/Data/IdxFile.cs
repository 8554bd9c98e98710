using System.Buffers.Binary;
using System.IO.Compression;

namespace Lottery.Data;

/// <summary>An array read from an IDX file: its dimensions and its unsigned-byte data, row-major.</summary>
/// <param name="Dimensions">The size of each dimension, outermost first.</param>
/// <param name="Data">The values.</param>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    /// <summary>The size of the first dimension (the number of images or labels).</summary>
    public int Count => Dimensions[0];
}

/// <summary>
/// Reads and writes the IDX format of MNIST and Fashion-MNIST (unsigned bytes), plain or gzipped.
/// </summary>
/// <remarks>
/// Format: two zero bytes, a type byte (0x08 for unsigned bytes), the number of dimensions, then each
/// dimension as a big-endian 32-bit integer, then the data.
/// </remarks>
public static class IdxFile
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an IDX file; a name ending in <c>.gz</c> or gzip content is decompressed.</summary>
    /// <exception cref="DataSetException">The file is missing, unreadable, truncated or not IDX.</exception>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataSetException(path, "file not found. Check the data folder, or see docs/experiments.md, \"Data sets\", for where data sets are looked for.");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataSetException(path, $"cannot be read ({e.Message}).", e);
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses IDX content (gzipped or not); <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="DataSetException">The content is truncated or not IDX.</exception>
    public static IdxArray Parse(byte[] bytes, string source)
    {
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            bytes = Gunzip(bytes, source);
        }

        if (bytes.Length < 4)
        {
            throw new DataSetException(source, $"truncated: {bytes.Length} bytes, shorter than an IDX header. Download the file again.");
        }

        if (bytes[0] != 0 || bytes[1] != 0)
        {
            throw new DataSetException(source, $"not an IDX file: it starts with 0x{bytes[0]:x2}{bytes[1]:x2}, not 0x0000. Is this the right file?");
        }

        if (bytes[2] != UnsignedByteType)
        {
            throw new DataSetException(source, $"IDX data type 0x{bytes[2]:x2} is not supported; MNIST-style files hold unsigned bytes (0x08).");
        }

        var rank = bytes[3];
        if (rank == 0)
        {
            throw new DataSetException(source, "IDX header declares zero dimensions.");
        }

        var headerLength = 4 + (4 * rank);
        if (bytes.Length < headerLength)
        {
            throw new DataSetException(source, $"truncated: the header declares {rank} dimensions but the file ends after {bytes.Length} bytes. Download the file again.");
        }

        var dimensions = new int[rank];
        long expected = 1;
        for (var i = 0; i < rank; i++)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * i), 4));
            if (size < 0)
            {
                throw new DataSetException(source, $"dimension {i} has a negative size ({size}); the file is corrupt.");
            }

            dimensions[i] = size;
            expected *= size;
        }

        var actual = bytes.Length - headerLength;
        if (actual < expected)
        {
            throw new DataSetException(source, $"truncated: the header declares {string.Join(" x ", dimensions)} = {expected} values but only {actual} follow. Download the file again.");
        }

        if (actual > expected)
        {
            throw new DataSetException(source, $"corrupt: {actual - expected} bytes follow the {expected} values the header declares ({string.Join(" x ", dimensions)}).");
        }

        return new IdxArray(dimensions, bytes[headerLength..]);
    }

    /// <summary>Writes an IDX file of unsigned bytes, gzipped when the name ends in <c>.gz</c>.</summary>
    public static void Write(string path, IdxArray array)
    {
        using var file = File.Create(path);
        using Stream output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
        Span<byte> header = stackalloc byte[4];
        header[0] = 0;
        header[1] = 0;
        header[2] = UnsignedByteType;
        header[3] = (byte)array.Dimensions.Length;
        output.Write(header);
        foreach (var size in array.Dimensions)
        {
            BinaryPrimitives.WriteInt32BigEndian(header, size);
            output.Write(header);
        }

        output.Write(array.Data);
    }

    private static byte[] Gunzip(byte[] bytes, string source)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataSetException(source, $"corrupt gzip data ({e.Message}). Download the file again.", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataSetException(source, "truncated gzip data. Download the file again.", e);
        }
    }
}
