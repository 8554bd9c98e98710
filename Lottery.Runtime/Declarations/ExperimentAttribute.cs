using Lottery.Training;

namespace Lottery;

/// <summary>
/// Declares an experiment on a <c>partial</c> class: a model with pruning declarations, a data set, how to
/// train, the seeds, and which of the model's schedules to compare. The source generator checks it at compile
/// time and emits its <see cref="Experiments.ExperimentDefinition"/> and a <c>Run</c> method.
/// </summary>
/// <example><code>
/// [Experiment(typeof(LeNet300100), DataSet = "mnist-digits", Epochs = 10, Seeds = new[] { 1, 2, 3 })]
/// public static partial class LeNetOnDigits;
/// </code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ExperimentAttribute : Attribute
{
    /// <summary>Declares an experiment on <paramref name="model"/>.</summary>
    /// <param name="model">A model class with <see cref="PruneScheduleAttribute"/> and <see cref="PrunableAttribute"/> declarations.</param>
    public ExperimentAttribute(Type model) => Model = model;

    /// <summary>The model trained and pruned.</summary>
    public Type Model { get; }

    /// <summary>The data set: <c>mnist-digits</c> (embedded) or <c>fashion-mnist</c>.</summary>
    public string DataSet { get; set; } = "mnist-digits";

    /// <summary>The optimizer (default Adam).</summary>
    public OptimizerKind Optimizer { get; set; }

    /// <summary>The learning rate (default 1.2e-3, the paper's for LeNet-300-100).</summary>
    public double LearningRate { get; set; } = 1.2e-3;

    /// <summary>Images per batch (default 60).</summary>
    public int BatchSize { get; set; } = 60;

    /// <summary>Epochs per training round (default 10).</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>The seeds; each seed runs every schedule (default: the single seed 1).</summary>
    public int[] Seeds { get; set; } = [1];

    /// <summary>Training images held out for validation (default 1000).</summary>
    public int Validation { get; set; } = 1000;

    /// <summary>The model's schedules to compare, by name (default: all of them).</summary>
    public string[]? Schedules { get; set; }

    /// <summary>Also train the model dense, as the reference (default true).</summary>
    public bool IncludeDense { get; set; } = true;
}
