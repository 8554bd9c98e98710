using System.Text.Json.Serialization;

namespace Lottery.Training;

/// <summary>How one model is trained. Immutable; the defaults are the paper's LeNet-300-100 settings.</summary>
public sealed record TrainingSettings
{
    /// <summary>Epochs per round of training.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = 60;

    /// <summary>The optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>The learning rate at the start of the learning-rate schedule.</summary>
    public double LearningRate { get; init; } = 1.2e-3;

    /// <summary>SGD momentum (ignored by Adam).</summary>
    public double Momentum { get; init; }

    /// <summary>Use Nesterov momentum (SGD only).</summary>
    public bool Nesterov { get; init; }

    /// <summary>L2 weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Epochs after which the learning rate is multiplied by <see cref="LearningRateGamma"/> (a step schedule).</summary>
    public IReadOnlyList<int> LearningRateMilestones { get; init; } = [];

    /// <summary>The factor applied at each milestone.</summary>
    public double LearningRateGamma { get; init; } = 0.1;

    /// <summary>Seeds initialisation, the validation split, the batch order and random pruning.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>What training minimises (default: cross-entropy); validation and test losses use it too.</summary>
    [JsonIgnore]
    public ILossFunction Loss { get; init; } = CrossEntropyLoss.Instance;

    /// <summary>The loss's name, as settings files and run identities record it.</summary>
    public string LossName => Loss.Name;

    /// <summary>
    /// Whether masked Linear layers train over their surviving weights only (<see cref="Training.SparseTraining"/>; default
    /// <see cref="SparseTraining.Dense"/>). Part of a run's identity when it is not the default: the sparse path adds in
    /// another order, so its figures differ from the dense path's in the last digits (the same on every machine).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public SparseTraining SparseTraining { get; init; }

    /// <summary>Evaluate the test set after every epoch (needed for test accuracy at the best validation point).</summary>
    public bool EvaluateTestEveryEpoch { get; init; } = true;

    /// <summary>
    /// Where the model trains and is evaluated: <c>cpu</c> (the default, which null means too), <c>cuda</c> (the
    /// current GPU) or <c>cuda:N</c> (GPU N). A GPU needs TorchSharp's CUDA package (TorchSharp-cuda-linux or
    /// TorchSharp-cuda-windows, of the TorchSharp version Lottery uses) and an NVIDIA GPU with its driver;
    /// <see cref="TrainingDevice.Resolve"/> refuses one this machine lacks before anything trains.
    /// </summary>
    /// <remarks>
    /// A run's identity records <c>cuda</c> for any GPU and nothing for the CPU: a CPU run has the identity it had before
    /// a device could be chosen, and a GPU run (whose figures differ slightly) gets another, so results are never reused
    /// across the two. The GPU's index is where a run is placed, not what it computes: workers on different GPUs of one
    /// machine share runs.
    /// </remarks>
    [JsonIgnore]
    public string? Device { get; init; }

    /// <summary>
    /// Where <see cref="Device"/> was chosen, as an unavailable device's error names it: for example <c>--device</c>, or
    /// the <c>[Experiment]</c> declaration that gave it. Null: this setting, set by hand. Not part of a run's identity.
    /// </summary>
    [JsonIgnore]
    public string? DeviceSource { get; init; }

    // What a run's identity (settings.json, hashed into the run's folder name) and experiment.json record of the
    // device; see Device. Read back (lottery report), it sets Device to what was recorded.
    [JsonInclude]
    [JsonPropertyName(nameof(Device))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal string? DeviceInIdentity
    {
        get => Device is null or DeviceName.Cpu ? null : DeviceName.IsCuda(Device) ? DeviceName.Cuda : Device;
        init => Device = value;
    }

    /// <summary>The learning rate after <paramref name="scheduleEpoch"/> epochs of the learning-rate schedule.</summary>
    public double LearningRateAt(int scheduleEpoch) =>
        LearningRate * Math.Pow(LearningRateGamma, LearningRateMilestones.Count(m => scheduleEpoch >= m));

    /// <summary>Checks every setting and names the one that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public TrainingSettings Validate()
    {
        Check(Epochs >= 1, nameof(Epochs), Epochs, "train for at least 1 epoch");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "a batch holds at least 1 image");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "the learning rate must be a positive number");
        Check(Momentum >= 0 && Momentum < 1, nameof(Momentum), Momentum, "momentum must be in [0, 1)");
        Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "weight decay must not be negative");
        Check(LearningRateGamma > 0, nameof(LearningRateGamma), LearningRateGamma, "the learning-rate factor must be positive");
        Check(Enum.IsDefined(SparseTraining), nameof(SparseTraining), SparseTraining, "give Dense, Sparse or Auto");
        Check(DeviceName.IsValid(Device), nameof(Device), Device ?? DeviceName.Cpu, $"'{Device}' is not a device; give {DeviceName.Allowed}");
        return this;
    }

    private static void Check(bool ok, string name, object value, string what)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, $"TrainingSettings.{name}: {what}.");
        }
    }
}
