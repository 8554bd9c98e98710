namespace Lottery.Data;

/// <summary>
/// A data set Lottery knows by name (<see cref="DataSets.Known"/>): the embedded MNIST digits, or MNIST-style IDX
/// files in a folder. Its content hash covers the four files' bytes.
/// </summary>
public sealed class BuiltInDataSource : IDataSource
{
    private string? hash;

    /// <summary>The data set <paramref name="name"/>, from <paramref name="folder"/> when given, else from where <see cref="DataSets.Load"/> looks.</summary>
    /// <exception cref="DataSetException">The name is not one of <see cref="DataSets.Known"/>.</exception>
    public BuiltInDataSource(string name, string? folder = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = DataSets.Known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new DataSetException(name, $"unknown data set. Known data sets: {string.Join(", ", DataSets.Known)}; or give your own with an IDataSource (see docs/extending.md).");
        Folder = folder;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The folder the files are read from, or null to search the usual places.</summary>
    public string? Folder { get; }

    /// <inheritdoc/>
    public string ContentHash() => hash ??= ContentHashes.Combine(DataSets.Files(Name, Folder).Select(file =>
    {
        using var stream = file.Open();
        return ContentHashes.Of(stream);
    }));

    /// <inheritdoc/>
    public TrainTestData Load() => DataSets.Load(Name, Folder);
}
