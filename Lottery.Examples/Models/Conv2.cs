using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// Conv-2 of Frankle and Carbin (2019), for 28x28 grey images: two 3x3 convolutions of 64 channels, 2x2 max
/// pooling, then fully connected 256-256-10. Glorot-normal weights, zero biases.
/// </summary>
/// <remarks>
/// The paper's rates: 10% for the convolutions, 20% for the hidden fully connected layers, 10% for the output.
/// <c>ImpShort</c> and <c>EveryEpochMagnitudeShort</c> (7 rounds; 20% after each of epochs 1 to 7 of a 10-epoch run,
/// about 21.3% of the weights) are the ticket comparison on a subset of Fashion-MNIST that fits on two CPU cores. The
/// layers are declared as a [Chain], so the generator writes <c>forward</c>, <c>ToSequential()</c> and <c>Compact()</c>.
/// </remarks>
[Chain(nameof(conv1), nameof(relu1), nameof(conv2), nameof(relu2), nameof(pool), nameof(flatten), nameof(fc1), nameof(relu3), nameof(fc2), nameof(relu4), nameof(fc3), InputShape = new[] { 1, 28, 28 })]
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 12, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.Magnitude)]
[PruneSchedule(ScheduleKind.Iterative, Name = "ImpShort", Rate = 0.2, Rounds = 7, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitudeShort", Rate = 0.2, TargetRemaining = 0.21, EndEpoch = 7, Epochs = 10, Criterion = CriterionKind.Magnitude)]
public sealed partial class Conv2 : nn.Module<Tensor, Tensor>
{
    [Prunable(0.1)]
    private readonly Conv2d conv1;

    private readonly ReLU relu1 = nn.ReLU();

    [Prunable(0.1)]
    private readonly Conv2d conv2;

    private readonly ReLU relu2 = nn.ReLU();
    private readonly MaxPool2d pool = nn.MaxPool2d(2);
    private readonly Flatten flatten = nn.Flatten();

    [Prunable]
    private readonly Linear fc1;

    private readonly ReLU relu3 = nn.ReLU();

    [Prunable]
    private readonly Linear fc2;

    private readonly ReLU relu4 = nn.ReLU();

    [Prunable(0.1)]
    private readonly Linear fc3;

    /// <summary>Creates the network with freshly initialised weights.</summary>
    public Conv2(int channels = 1, int size = 28, int classes = 10)
        : base(nameof(Conv2))
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
