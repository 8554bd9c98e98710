namespace Lottery.Generators.Models;

/// <summary>Everything the emitter needs to write an experiment's definition.</summary>
/// <param name="Hierarchy">Where the experiment class is declared.</param>
/// <param name="ModelType">The model's fully qualified name with <c>global::</c>.</param>
/// <param name="DataSet">The data set's name.</param>
/// <param name="Optimizer">An OptimizerKind name.</param>
/// <param name="LearningRate">The learning rate.</param>
/// <param name="BatchSize">Images per batch.</param>
/// <param name="Epochs">Epochs per round.</param>
/// <param name="Seeds">The seeds.</param>
/// <param name="Validation">Images held out for validation.</param>
/// <param name="Schedules">The model's schedules compared, by name.</param>
/// <param name="IncludeDense">Whether a dense run is the first arm.</param>
internal sealed record ExperimentInfo(
    TypeHierarchy Hierarchy,
    string ModelType,
    string DataSet,
    string Optimizer,
    double LearningRate,
    int BatchSize,
    int Epochs,
    EquatableArray<int> Seeds,
    int Validation,
    EquatableArray<string> Schedules,
    bool IncludeDense);
