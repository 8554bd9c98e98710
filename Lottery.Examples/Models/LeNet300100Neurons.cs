using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// LeNet-300-100 pruned by whole neurons: the hidden layers lose their weakest output units (with their biases), so
/// that compaction can rebuild a physically smaller 784-k1-k2-10 network. The output layer is not pruned (its units
/// are the classes). The layers are declared as a [Chain], so the generator writes <c>forward</c>,
/// <c>ToSequential()</c> and <c>Compact()</c>.
/// </summary>
/// <remarks>
/// Schedules: IMP removing 20% of each hidden layer's remaining neurons per round for 6 rounds (to 26.2% of the hidden
/// weights: 79 and 26 neurons), rewound to initialisation; and the hypothesis, 20% after each of the first 5 epochs of
/// one run, by magnitude (the unit's mean |w|) and by least change (its mean |w - w0|), with and without rewinding.
/// </remarks>
[Chain(nameof(flatten), nameof(fc1), nameof(relu1), nameof(fc2), nameof(relu2), nameof(fc3), InputShape = new[] { 784 })]
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 6, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.3, EndEpoch = 6, Criterion = CriterionKind.Magnitude)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochLeastChange", Rate = 0.2, TargetRemaining = 0.3, EndEpoch = 6, Criterion = CriterionKind.LeastChange)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitudeRewind", Rate = 0.2, TargetRemaining = 0.3, EndEpoch = 6, Criterion = CriterionKind.Magnitude, Rewind = RewindKind.ToInit)]
public sealed partial class LeNet300100Neurons : nn.Module<Tensor, Tensor>
{
    private readonly Flatten flatten = nn.Flatten();

    [Prunable(Structure = Structure.Neurons)]
    private readonly Linear fc1;

    private readonly ReLU relu1 = nn.ReLU();

    [Prunable(Structure = Structure.Neurons)]
    private readonly Linear fc2;

    private readonly ReLU relu2 = nn.ReLU();

    private readonly Linear fc3;

    /// <summary>Creates the network with Glorot-normal weights and zero biases (seed TorchSharp first for repeatability).</summary>
    public LeNet300100Neurons(int inputs = 784, int classes = 10)
        : base(nameof(LeNet300100Neurons))
    {
        fc1 = nn.Linear(inputs, 300);
        fc2 = nn.Linear(300, 100);
        fc3 = nn.Linear(100, classes);
        RegisterComponents();
        PaperInitialisation.GlorotNormalZeroBias(fc1, fc2, fc3);
    }
}
