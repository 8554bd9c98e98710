using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// Conv-2 (two 3x3 convolutions of 64 channels, 2x2 max pooling, fully connected 256-256-10) pruned by whole
/// channels in the convolutions and whole neurons in the hidden fully connected layers, declared as a [Chain] so that
/// compaction can rebuild it physically smaller. The output layer is not pruned.
/// </summary>
/// <remarks>
/// Schedules: IMP removing 20% of each layer's remaining units per round for 3 rounds (to 51.2%), rewound to
/// initialisation; and the hypothesis, 20% after each of the first 3 epochs of one run by magnitude.
/// </remarks>
[Chain(nameof(conv1), nameof(relu1), nameof(conv2), nameof(relu2), nameof(pool), nameof(flatten), nameof(fc1), nameof(relu3), nameof(fc2), nameof(relu4), nameof(fc3), InputShape = new[] { 1, 28, 28 })]
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 3, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.52, EndEpoch = 3, Criterion = CriterionKind.Magnitude)]
public sealed partial class Conv2Channels : nn.Module<Tensor, Tensor>
{
    [Prunable(Structure = Structure.Channels)]
    private readonly Conv2d conv1;

    private readonly ReLU relu1 = nn.ReLU();

    [Prunable(Structure = Structure.Channels)]
    private readonly Conv2d conv2;

    private readonly ReLU relu2 = nn.ReLU();
    private readonly MaxPool2d pool = nn.MaxPool2d(2);
    private readonly Flatten flatten = nn.Flatten();

    [Prunable(Structure = Structure.Neurons)]
    private readonly Linear fc1;

    private readonly ReLU relu3 = nn.ReLU();

    [Prunable(Structure = Structure.Neurons)]
    private readonly Linear fc2;

    private readonly ReLU relu4 = nn.ReLU();
    private readonly Linear fc3;

    /// <summary>Creates the network with Glorot-normal weights and zero biases.</summary>
    public Conv2Channels(int channels = 1, int size = 28, int classes = 10)
        : base(nameof(Conv2Channels))
    {
        conv1 = nn.Conv2d(channels, 64, 3, padding: 1);
        conv2 = nn.Conv2d(64, 64, 3, padding: 1);
        fc1 = nn.Linear(64 * (size / 2) * (size / 2), 256);
        fc2 = nn.Linear(256, 256);
        fc3 = nn.Linear(256, classes);
        RegisterComponents();
        PaperInitialisation.GlorotNormalZeroBias(conv1, conv2, fc1, fc2, fc3);
    }
}
