using Lottery.Training;

namespace Lottery;

/// <summary>
/// Declares an experiment on a <c>partial</c> class: a model with pruning declarations, its data and loss, how to
/// train, the seeds, which of the model's schedules are its arms, the points one-run arms are matched to, and
/// (with <see cref="ControlAttribute"/>) its controls. The source generator checks it at compile time and emits its
/// <see cref="Experiments.ExperimentDefinition"/> and a <c>Run</c> method; <c>lottery run &lt;name&gt;</c> runs it
/// with a run store, resume after any interruption, a summary, a report and charts.
/// </summary>
/// <example><code>
/// [Experiment(typeof(LeNet300100), Name = "lenet-digits", Epochs = 15, Seeds = new[] { 1, 2, 3 },
///     Schedules = new[] { "Imp", "EveryEpochMagnitude" }, MatchTo = "Imp", Points = new[] { 3, 7, 12 })]
/// [Control(typeof(RandomReinitialisation), Of = "Imp")]
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

    /// <summary>The experiment's name, which <c>lottery run</c> takes and its results folder gets (default: the class's name).</summary>
    public string? Name { get; set; }

    /// <summary>A built-in data set: <c>mnist-digits</c> (embedded, the default) or <c>fashion-mnist</c>. Give <see cref="Data"/> instead for your own.</summary>
    public string DataSet { get; set; } = "mnist-digits";

    /// <summary>Your own data: a class implementing <see cref="Data.IDataSource"/> with a public parameterless constructor (for example one deriving from <see cref="Data.CsvDataSource"/>).</summary>
    public Type? Data { get; set; }

    /// <summary>Your own loss: a class implementing <see cref="Training.ILossFunction"/> with a public parameterless constructor (default: cross-entropy).</summary>
    public Type? Loss { get; set; }

    /// <summary>The optimizer (default Adam).</summary>
    public OptimizerKind Optimizer { get; set; }

    /// <summary>The learning rate (default 1.2e-3, the paper's for LeNet-300-100).</summary>
    public double LearningRate { get; set; } = 1.2e-3;

    /// <summary>
    /// Where every run trains and is evaluated: <c>cpu</c> (the default), <c>cuda</c> (the current GPU) or <c>cuda:N</c>
    /// (GPU N). Another name is a compile error (LTH0027). A GPU needs TorchSharp's CUDA package (TorchSharp-cuda-linux or
    /// TorchSharp-cuda-windows, of the TorchSharp version Lottery uses) and an NVIDIA GPU; without them the experiment
    /// stops before training, naming this declaration. <c>lottery run --device</c> overrides it.
    /// </summary>
    public string? Device { get; set; }

    /// <summary>
    /// The numerics profile every run computes with: <c>portable</c> (the default: LibTorch's kernels pinned to AVX2, so
    /// the figures are the same on any x86-64 CPU that has it) or <c>native</c> (the fastest kernels of the machine at hand,
    /// whose figures match only machines that choose the same ones). Another name is a compile error (LTH0033).
    /// <c>lottery run --numerics</c> overrides it. It is part of every run's identity.
    /// </summary>
    public string? Numerics { get; set; }

    /// <summary>
    /// Whether masked Linear layers train over their surviving weights only: <c>Dense</c> (the default), <c>Sparse</c>, or
    /// <c>Auto</c> (sparse where a layer's surviving share is at most 10%, decided from the mask, so the same on every
    /// machine). <c>lottery run --sparse-training</c> overrides it. Part of every run's identity unless Dense.
    /// </summary>
    public SparseTraining SparseTraining { get; set; }

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

    /// <summary>
    /// An Iterative schedule of the experiment that the one-run schedules (EveryEpoch, Gradual, OneShot, AtInit) are matched
    /// to: each runs once for each of <see cref="Points"/>, to the weights remaining this schedule reached after that
    /// round (for the same seed). Without it, every schedule runs once, to its own target.
    /// </summary>
    public string? MatchTo { get; set; }

    /// <summary>With <see cref="MatchTo"/>: its rounds to match, for example <c>new[] { 3, 7, 12 }</c> (required).</summary>
    public int[]? Points { get; set; }

    /// <summary>
    /// The largest difference in test accuracy, in percentage points, that does not matter (default 0.5): the report
    /// tests each arm against <see cref="MatchTo"/>, seed by seed at each point, for equivalence within ± this margin
    /// (two one-sided t-tests at 0.05). Stated here, before any run, so that it cannot be chosen after seeing the
    /// figures; <c>experiment.json</c> records it for <c>lottery report</c>. A margin that is not a positive number
    /// below 100 is a compile error (LTH0028).
    /// </summary>
    public double EquivalenceMargin { get; set; } = 0.5;
}
