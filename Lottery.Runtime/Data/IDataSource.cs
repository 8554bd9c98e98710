namespace Lottery.Data;

/// <summary>
/// Where an experiment's examples come from: a built-in data set (<see cref="DataSets.Source"/>), a CSV of numeric
/// columns, or a class of your own. A type implementing it with a public parameterless constructor can be named in
/// <see cref="ExperimentAttribute.Data"/>.
/// </summary>
public interface IDataSource
{
    /// <summary>A short name for reports and folder names, for example <c>mnist-digits</c>.</summary>
    string Name { get; }

    /// <summary>
    /// A hash of everything that decides the examples (for files: their bytes), as hex. It is part of every run's
    /// identity: change the data and the runs train again.
    /// </summary>
    string ContentHash();

    /// <summary>Loads the training and test examples (the caller owns them).</summary>
    /// <exception cref="DataSetException">A file is missing or malformed; the message names the file and where in it.</exception>
    TrainTestData Load();
}
