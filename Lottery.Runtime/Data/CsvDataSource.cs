using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace Lottery.Data;

/// <summary>
/// Tabular examples from a CSV file (plain, or gzip-compressed such as <c>.csv.gz</c>): a header line naming the
/// columns, then one example a line, with numeric feature columns and one label column. Loads as inputs
/// <c>[N, F]</c> float32 and labels <c>[N]</c> int64, for a fully connected model.
/// </summary>
/// <remarks>
/// <para>
/// Numbers are read with the invariant culture (<c>.</c> as the decimal point; <c>1e-3</c> works); spaces around
/// values are ignored, quoting follows RFC 4180, empty lines are skipped, and a line number in a message is the line
/// an editor shows (the header is line 1).
/// </para>
/// <para>
/// Labels: when every label (of both files) is a non-negative integer, the labels are the class indices and the
/// class count is the largest label plus one. Otherwise each distinct text is a class, numbered 0, 1, ... in ordinal
/// (culture-independent) sorted order; <see cref="ClassNames"/> gives the text of each index.
/// </para>
/// <para>
/// Test set: <see cref="TestFilePath"/> when given, else a stratified split of the file by the rule documented on
/// <see cref="TestFraction"/>. Features are standardised (see <see cref="Standardize"/>) with figures from the
/// training part only, so nothing of the test set leaks into training.
/// </para>
/// <para>
/// The file is read once, on the first call that needs its contents; later calls reuse what was read. Derive from
/// this class, with a public parameterless constructor, to name a CSV in an experiment's <c>Data</c>.
/// </para>
/// </remarks>
public class CsvDataSource : IDataSource
{
    /// <summary>The share of each class held out as the test set when no test file is given.</summary>
    public const double DefaultTestFraction = 0.2;

    /// <summary>
    /// Seeds the permutation that chooses the test rows (see <see cref="TestFraction"/>). Any fixed number would do:
    /// this one is the arXiv number of the Lottery Ticket Hypothesis paper, 1803.03635.
    /// </summary>
    public const ulong SplitSeed = 180303635;

    /// <summary>
    /// The most classes a label column may make. A column past it is almost always a measurement or an id, not a
    /// class, and would give a model one output per value.
    /// </summary>
    public const int MaxClassCount = 10_000;

    private const string HashFormat = "lottery.csv-source/1";
    private string? hash;
    private Prepared? prepared;

    /// <summary>Reads examples from <paramref name="filePath"/>, with the classes in column <paramref name="labelColumn"/>.</summary>
    /// <param name="filePath">
    /// A CSV file, gzip-compressed (one gzip stream, as <c>gzip</c> writes) or not; its first bytes tell, not its name.
    /// </param>
    /// <param name="labelColumn">The header name of the label column, matched exactly (case-sensitive).</param>
    public CsvDataSource(string filePath, string labelColumn)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumn);
        FilePath = filePath;
        LabelColumn = labelColumn;
        Name = DefaultName(filePath);
    }

    /// <summary>The CSV file the training examples come from (and the test examples, when there is no test file).</summary>
    public string FilePath { get; }

    /// <summary>The column holding each example's class.</summary>
    public string LabelColumn { get; }

    /// <summary>
    /// The feature columns, in the order the model sees them; null (the default) takes every column except the label,
    /// in the header's order. Text columns such as ids or dates must be left out by listing the others.
    /// </summary>
    /// <exception cref="DataSetException">The list is empty, names a column twice, or holds the label column.</exception>
    public IReadOnlyList<string>? FeatureColumns
    {
        get;
        init
        {
            if (value is null)
            {
                field = null;
                return;
            }

            if (value.Count == 0)
            {
                throw new DataSetException(FilePath, "the list of feature columns is empty; name at least one, or leave it out to take every column except the label.");
            }

            var twice = value.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null)
            {
                throw new DataSetException(FilePath, $"the feature column '{twice.Key}' is listed {twice.Count()} times; list each column once.");
            }

            if (value.Contains(LabelColumn, StringComparer.Ordinal))
            {
                throw new DataSetException(FilePath, $"the label column '{LabelColumn}' is also listed as a feature; a model must not see its answer.");
            }

            field = [.. value];
        }
    }

    /// <summary>
    /// A second CSV with the same columns that is the test set, or null (the default) to split the test set off
    /// <see cref="FilePath"/>. Its columns are found by name, so their order may differ; extra columns are ignored.
    /// </summary>
    public string? TestFilePath { get; init; }

    /// <summary>
    /// The share of each class held out as the test set when there is no <see cref="TestFilePath"/> (ignored when there
    /// is); 0.2 by default.
    /// </summary>
    /// <remarks>
    /// The rule, the same on every machine and every run: for each class in index order, take its rows in file order,
    /// shuffle them with a Fisher-Yates shuffle (for i from n-1 down to 1, swap row i with row <c>next() % (i+1)</c>)
    /// driven by one SplitMix64 generator seeded with <see cref="SplitSeed"/> and shared by the classes in turn, and
    /// hold out the first <c>round(n * TestFraction)</c> rows (halves away from zero), but never a class's last row.
    /// Both parts keep the file's order. Changing the file changes the split; the same file always splits the same way.
    /// </remarks>
    /// <exception cref="DataSetException">The fraction is not strictly between 0 and 1.</exception>
    public double TestFraction
    {
        get;
        init
        {
            if (!(value > 0 && value < 1))
            {
                throw new DataSetException(FilePath, $"test fraction {value.ToString(CultureInfo.InvariantCulture)} is outside (0, 1); hold out a share such as 0.2, or give a test file.");
            }

            field = value;
        }
    } = DefaultTestFraction;

    /// <summary>
    /// Whether features are z-scored, <c>(x - mean) / standard deviation</c> per column with the training part's figures
    /// (see <see cref="Standardization"/>); on by default, since an MLP trained on raw columns of very different
    /// ranges learns slowly or not at all. Turn it off for features that are already scaled.
    /// </summary>
    public bool Standardize { get; init; } = true;

    /// <summary>The character between fields; <c>,</c> by default. Give <c>;</c> or <c>\t</c> for files that use those.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The character is not ASCII, or is a quote or a line break.</exception>
    public char Separator
    {
        get;
        init
        {
            if (!char.IsAscii(value) || value is '"' or '\r' or '\n')
            {
                throw new ArgumentOutOfRangeException(nameof(Separator), value, "The separator must be an ASCII character other than a quote or a line break.");
            }

            field = value;
        }
    } = ',';

    /// <summary>
    /// The name in reports and folder names: by default the file name without its extensions (<c>iris.csv.gz</c> is
    /// <c>iris</c>).
    /// </summary>
    public string Name
    {
        get;
        init
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            field = value;
        }
    }

    /// <summary>The text of each class index (for integer labels, the integers themselves). Reads the files if not yet read.</summary>
    /// <exception cref="DataSetException">A file is missing or malformed.</exception>
    public IReadOnlyList<string> ClassNames => Array.AsReadOnly(Prepare().ClassNames);

    /// <summary>The feature columns the inputs' columns hold, in order. Reads the files if not yet read.</summary>
    /// <exception cref="DataSetException">A file is missing or malformed.</exception>
    public IReadOnlyList<string> FeatureNames => Array.AsReadOnly(Prepare().FeatureNames);

    /// <summary>
    /// The scaling applied to the features, computed on the training part, or null when <see cref="Standardize"/> is
    /// off. Apply it to an app's raw inputs before they reach a model trained on this data. Reads the files if not yet read.
    /// </summary>
    /// <exception cref="DataSetException">A file is missing or malformed.</exception>
    public FeatureStandardization? Standardization => Prepare().Standardization;

    /// <summary>
    /// SHA-256, as hex, over the bytes of each file (as stored: a <c>.csv.gz</c> by its compressed bytes) and every
    /// setting that changes the examples: the label column, the feature columns, the test fraction (when there is no
    /// test file), standardisation and the separator. <see cref="Name"/> is not part of it.
    /// </summary>
    /// <exception cref="DataSetException">A file is missing.</exception>
    public string ContentHash()
    {
        if (hash is not null)
        {
            return hash;
        }

        string[] parts =
        [
            HashFormat,
            FileHash(FilePath),
            TestFilePath is null ? "no test file" : FileHash(TestFilePath),
            LabelColumn,
            FeatureColumns is null ? "every other column" : JsonSerializer.Serialize(FeatureColumns),
            TestFilePath is null ? TestFraction.ToString("R", CultureInfo.InvariantCulture) : "test file",
            Standardize ? "standardized" : "raw",
            Separator.ToString(),
        ];
        return hash = ContentHashes.Combine(parts);
    }

    /// <summary>
    /// Loads the training and test sets, named <c>{Name}/train</c> and <c>{Name}/test</c>, each with
    /// <see cref="ClassNames"/>' count of classes. The caller owns them.
    /// </summary>
    /// <exception cref="DataSetException">
    /// A file is missing, empty or has no rows; a named column is not in a header; a line has too few or too many
    /// fields; a feature cell is empty or not a number; a label is empty; the labels make fewer than 2 or more than
    /// <see cref="MaxClassCount"/> classes; or the file is too small to hold out a test set.
    /// </exception>
    public TrainTestData Load()
    {
        var data = Prepare();
        using var scope = NewDisposeScope();
        var train = DataSet("train", data.TrainFeatures, data.TrainLabels, data);
        try
        {
            return new TrainTestData(Name, train, DataSet("test", data.TestFeatures, data.TestLabels, data));
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    private TensorDataSet DataSet(string part, float[] features, long[] labels, Prepared data)
    {
        // Copies: the tensors must not share memory with what Prepare keeps for the next load.
        var inputs = tensor((float[])features.Clone(), [labels.LongLength, data.FeatureNames.Length]);
        if (data.Standardization is { } standardization)
        {
            inputs = standardization.Apply(inputs);
        }

        return new TensorDataSet($"{Name}/{part}", inputs, tensor((long[])labels.Clone()), data.ClassNames.Length);
    }

    private Prepared Prepare()
    {
        if (prepared is not null)
        {
            return prepared;
        }

        var train = CsvTable.Read(FilePath, Separator, LabelColumn, FeatureColumns);
        var test = TestFilePath is null ? null : CsvTable.Read(TestFilePath, Separator, LabelColumn, train.FeatureNames);
        var (classNames, trainLabels, testLabels) = Classes(train, test);
        var width = train.FeatureNames.Length;

        float[] trainFeatures, testFeatures;
        if (test is not null)
        {
            trainFeatures = train.Features;
            testFeatures = test.Features;
            testLabels ??= [];
        }
        else
        {
            var (trainRows, testRows) = StratifiedSplit(trainLabels, classNames.Length);
            trainFeatures = Rows(train.Features, width, trainRows);
            testFeatures = Rows(train.Features, width, testRows);
            testLabels = [.. testRows.Select(r => trainLabels[r])];
            trainLabels = [.. trainRows.Select(r => trainLabels[r])];
        }

        var standardization = Standardize ? FeatureStandardization.Fit(trainFeatures, width) : null;
        return prepared = new Prepared(train.FeatureNames, classNames, trainFeatures, trainLabels, testFeatures, testLabels, standardization);
    }

    private (string[] Names, long[] Train, long[]? Test) Classes(CsvTable train, CsvTable? test)
    {
        string[] all = test is null ? train.Labels : [.. train.Labels, .. test.Labels];
        string[] names;
        Func<string, long> index;
        if (all.All(label => int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var largest = all.Max(label => int.Parse(label, NumberStyles.None, CultureInfo.InvariantCulture));
            if (largest >= MaxClassCount)
            {
                throw new DataSetException(FilePath, $"column '{LabelColumn}' holds the integer label {largest}; integer labels are class indices, and {largest + 1} classes are more than {MaxClassCount}. Is it the right label column?");
            }

            names = [.. Enumerable.Range(0, largest + 1).Select(i => i.ToString(CultureInfo.InvariantCulture))];
            index = label => int.Parse(label, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        else
        {
            names = [.. all.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            if (names.Length > MaxClassCount)
            {
                throw new DataSetException(FilePath, $"column '{LabelColumn}' holds {names.Length} distinct labels, more than {MaxClassCount} classes. Is it the right label column (a measurement or an id)?");
            }

            var lookup = names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
            index = label => lookup[label];
        }

        if (all.Distinct(StringComparer.Ordinal).Count() < 2)
        {
            throw new DataSetException(FilePath, $"column '{LabelColumn}' holds a single class, '{all[0]}'; a classifier needs examples of at least two.");
        }

        return (names, [.. train.Labels.Select(index)], test is null ? null : [.. test.Labels.Select(index)]);
    }

    private (int[] Train, int[] Test) StratifiedSplit(long[] labels, int classCount)
    {
        var state = SplitSeed;
        ulong Next()
        {
            // SplitMix64 (Steele, Lea and Flood 2014): fully specified, so the split can be reproduced in any language.
            var z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        var test = new List<int>();
        for (var c = 0; c < classCount; c++)
        {
            var rows = Enumerable.Range(0, labels.Length).Where(r => labels[r] == c).ToArray();
            for (var i = rows.Length - 1; i > 0; i--)
            {
                var j = (int)(Next() % (ulong)(i + 1));
                (rows[i], rows[j]) = (rows[j], rows[i]);
            }

            var take = Math.Min((int)Math.Round(rows.Length * TestFraction, MidpointRounding.AwayFromZero), Math.Max(rows.Length - 1, 0));
            test.AddRange(rows.Take(take));
        }

        if (test.Count == 0)
        {
            throw new DataSetException(FilePath, $"{labels.Length} rows are too few to hold out {TestFraction.ToString(CultureInfo.InvariantCulture)} of each class as a test set (each class keeps at least one training row); add rows, raise the test fraction, or give a test file.");
        }

        var held = test.ToHashSet();
        return ([.. Enumerable.Range(0, labels.Length).Where(r => !held.Contains(r))], [.. test.Order()]);
    }

    private static float[] Rows(float[] features, int width, int[] rows)
    {
        var result = new float[rows.Length * width];
        for (var i = 0; i < rows.Length; i++)
        {
            Array.Copy(features, rows[i] * width, result, i * width, width);
        }

        return result;
    }

    private static string FileHash(string path)
    {
        CsvTable.RequireFile(path);
        using var stream = File.OpenRead(path);
        return ContentHashes.Of(stream);
    }

    private static string DefaultName(string filePath)
    {
        var file = Path.GetFileName(filePath);
        if (file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            file = file[..^3];
        }

        var name = Path.GetFileNameWithoutExtension(file);
        return name.Length > 0 ? name : file;
    }

    private sealed record Prepared(
        string[] FeatureNames,
        string[] ClassNames,
        float[] TrainFeatures,
        long[] TrainLabels,
        float[] TestFeatures,
        long[] TestLabels,
        FeatureStandardization? Standardization);
}
