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
/// <param name="Name">The experiment's name.</param>
/// <param name="DataType">The user's data source type (fully qualified with <c>global::</c>), or null for <paramref name="DataSet"/>.</param>
/// <param name="LossType">The user's loss type, or null for cross-entropy.</param>
/// <param name="MatchTo">The Iterative schedule one-run schedules are matched to, or null.</param>
/// <param name="Points">Its rounds to match.</param>
/// <param name="Matched">The schedules run as matched arms.</param>
/// <param name="Controls">The controls, in declaration order.</param>
/// <param name="Device">The declared device (<c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>), or null when the declaration gives none.</param>
/// <param name="Numerics">The declared numerics profile (<c>portable</c> or <c>native</c>), or null when the declaration gives none.</param>
/// <param name="EquivalenceMargin">The equivalence margin in points of test accuracy (0.5 unless declared).</param>
/// <param name="SparseTraining">A SparseTraining name (Dense unless declared).</param>
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
    bool IncludeDense,
    string Name,
    string? DataType,
    string? LossType,
    string? MatchTo,
    EquatableArray<int> Points,
    EquatableArray<string> Matched,
    EquatableArray<ControlInfo> Controls,
    string? Device,
    string? Numerics,
    double EquivalenceMargin,
    string SparseTraining);

/// <summary>A [Control] of an experiment.</summary>
/// <param name="Type">The control's type, fully qualified with <c>global::</c>.</param>
/// <param name="Of">The arm it derives from.</param>
/// <param name="Epoch">The epoch it is given, or null when the attribute gives none.</param>
internal sealed record ControlInfo(string Type, string Of, int? Epoch);
