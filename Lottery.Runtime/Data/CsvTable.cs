using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using CsvHelper;

namespace Lottery.Data;

/// <summary>
/// One CSV file read into numbers: the chosen feature columns as float32 rows, the label column as text, and the
/// line each row came from. Every problem is a <see cref="DataSetException"/> naming the file, the line and the column.
/// </summary>
internal sealed class CsvTable
{
    // Longer cells are cut in messages: a message quotes the cell, not a paragraph.
    private const int QuotedCellLength = 40;

    private CsvTable(string path, string[] featureNames, float[] features, string[] labels, long[] lines)
    {
        Path = path;
        FeatureNames = featureNames;
        Features = features;
        Labels = labels;
        Lines = lines;
    }

    /// <summary>The file, as the user named it.</summary>
    public string Path { get; }

    /// <summary>The feature columns read, in the order of <see cref="Features"/>' columns.</summary>
    public string[] FeatureNames { get; }

    /// <summary>Row-major: row r's feature f is at <c>r * FeatureNames.Length + f</c>.</summary>
    public float[] Features { get; }

    /// <summary>The label cell of each row, trimmed.</summary>
    public string[] Labels { get; }

    /// <summary>The line of the file each row starts on (the header is line 1).</summary>
    public long[] Lines { get; }

    /// <summary>
    /// Reads <paramref name="path"/> (gzip-compressed or not: the first two bytes decide). Feature columns are
    /// <paramref name="featureColumns"/>, or when null every column other than the label, in header order.
    /// </summary>
    public static CsvTable Read(string path, char separator, string labelColumn, IReadOnlyList<string>? featureColumns)
    {
        RequireFile(path);
        var text = Decompressed(path);
        try
        {
            var options = new CsvReaderOptions
            {
                Separator = separator,
                HasHeader = true,
                TrackLineNumbers = true,
                TrimWhitespace = true,
                MalformedData = CsvMalformedDataHandling.Throw,
                FormatProvider = CultureInfo.InvariantCulture,
            };
            using var reader = CsvReader.Create(text, options);
            return ReadRows(path, reader, separator, labelColumn, featureColumns);
        }
        catch (CsvFormatException e)
        {
            var where = e.LineNumber > 0 ? $"line {e.LineNumber}: " : string.Empty;
            throw new DataSetException(path, $"{where}not valid CSV: {e.Message}", e);
        }
    }

    /// <summary>Throws the error a user should see when <paramref name="path"/> is not a file.</summary>
    public static void RequireFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new DataSetException(path, "is a folder; give the path of a .csv or .csv.gz file.");
        }

        if (!File.Exists(path))
        {
            throw new DataSetException(path, $"not found (looked for {System.IO.Path.GetFullPath(path)}). Check the path; a relative path is taken from the working directory, {Environment.CurrentDirectory}.");
        }
    }

    /// <summary>
    /// The file's bytes, decompressed when they start with the gzip magic number. .NET's GZipStream ends quietly at
    /// the end of a cut file, so the gzip trailer's size field is checked too (single-stream gzip files, as gzip and
    /// .NET write them).
    /// </summary>
    private static byte[] Decompressed(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
        {
            return bytes;
        }

        const string Problem = "starts like a gzip file but is corrupt or cut short";
        try
        {
            using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            var declared = bytes.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) : (uint?)null;
            if (declared != unchecked((uint)output.Length))
            {
                throw new DataSetException(path, $"{Problem}: its trailer declares {declared?.ToString(CultureInfo.InvariantCulture) ?? "no"} bytes, {output.Length} came out. Compress it again, or give the plain .csv.");
            }

            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new DataSetException(path, $"{Problem} ({e.Message}). Compress it again, or give the plain .csv.", e);
        }
    }

    private static CsvTable ReadRows(string path, CsvReader reader, char separator, string labelColumn, IReadOnlyList<string>? featureColumns)
    {
        var header = reader.Headers.Select(h => h.Trim()).ToArray();
        if (header.Length == 0 || header is [""])
        {
            throw new DataSetException(path, "is empty; a CSV needs a header line naming the columns, then one line per example.");
        }

        if (header.Length == 1)
        {
            throw new DataSetException(path, $"line 1: the header has a single column ('{Quote(header[0])}'), so no '{separator}' separates columns. Is the file separated by another character? Set the separator to it.");
        }

        var labelIndex = Column(path, header, labelColumn, "label");
        var featureNames = featureColumns?.ToArray() ?? header.Where((_, i) => i != labelIndex).ToArray();
        var featureIndices = featureNames.Select(name => Column(path, header, name, "feature")).ToArray();
        var width = featureIndices.Length;

        var features = new List<float>();
        var labels = new List<string>();
        var lines = new List<long>();
        while (reader.Read())
        {
            var line = reader.LineNumber;
            if (reader.FieldCount != header.Length)
            {
                var few = reader.FieldCount < header.Length ? "too few" : "too many";
                throw new DataSetException(path, $"line {line} has {reader.FieldCount} fields but the header has {header.Length} ({few}); every line needs one value per column. Is a value missing, or does one hold an unquoted '{separator}'?");
            }

            for (var f = 0; f < width; f++)
            {
                features.Add(Number(path, reader, featureIndices[f], featureNames[f], line));
            }

            var label = reader.GetString(labelIndex).Trim();
            if (label.Length == 0)
            {
                throw new DataSetException(path, $"line {line}, column '{labelColumn}': the label is empty; give every row a class, or remove the row.");
            }

            labels.Add(label);
            lines.Add(line);
        }

        if (labels.Count == 0)
        {
            throw new DataSetException(path, "has a header but no rows; add one line per example below the header.");
        }

        return new CsvTable(path, featureNames, [.. features], [.. labels], [.. lines]);
    }

    private static float Number(string path, CsvReader reader, int index, string column, long line)
    {
        var text = reader.GetSpan(index);
        if (text.IsEmpty)
        {
            throw new DataSetException(path, $"line {line}, column '{column}': the cell is empty; every feature needs a number (fill the gap, or remove the row).");
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            var hint = text.Contains((byte)',') ? " Numbers need a '.' as the decimal point." : string.Empty;
            throw new DataSetException(path, $"line {line}, column '{column}': '{Quote(Encoding.UTF8.GetString(text))}' is not a number.{hint}");
        }

        var single = (float)value;
        if (!float.IsFinite(single))
        {
            throw new DataSetException(path, $"line {line}, column '{column}': '{Quote(Encoding.UTF8.GetString(text))}' is not a finite float32 number; features must be finite.");
        }

        return single;
    }

    private static int Column(string path, string[] header, string name, string role)
    {
        var matches = header.Select((h, i) => (h, i)).Where(c => c.h == name).Select(c => c.i).ToArray();
        if (matches.Length == 1)
        {
            if (name.Length == 0)
            {
                throw new DataSetException(path, $"line 1: column {matches[0] + 1} has no name, so it cannot be a {role}. pandas writes its index so: save with index=False, or name the feature columns.");
            }

            return matches[0];
        }

        if (matches.Length > 1)
        {
            throw new DataSetException(path, $"line 1: the {role} column '{name}' appears {matches.Length} times in the header (columns {string.Join(", ", matches.Select(i => i + 1))}); give each column its own name.");
        }

        var columns = string.Join(", ", header.Select(h => $"'{Quote(h)}'"));
        var near = header.FirstOrDefault(h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        var hint = near is not null ? $" Did you mean '{near}'? Names are case-sensitive."
            : header.All(h => double.TryParse(h, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                ? " The first line holds numbers, not names: the file seems to have no header. Add a first line naming the columns."
                : string.Empty;
        throw new DataSetException(path, $"line 1: no {role} column '{name}' in the header. The columns are: {columns}.{hint}");
    }

    private static string Quote(string text) => text.Length <= QuotedCellLength ? text : text[..QuotedCellLength] + "...";
}
