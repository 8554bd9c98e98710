using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// A small 784-64-10 network whose hidden layer is pruned by whole neurons, declared as a [Chain]: the model of the
/// quick <c>tiny-neurons</c> experiment, which shows (and tests) structured pruning, <c>compact</c> and <c>inference</c>
/// in under a minute.
/// </summary>
[Chain(nameof(flatten), nameof(hidden), nameof(relu), nameof(output), InputShape = new[] { 784 })]
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.3, Rounds = 2)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.3, TargetRemaining = 0.49, EndEpoch = 2)]
public sealed partial class SmallMlpNeurons : nn.Module<Tensor, Tensor>
{
    private readonly Flatten flatten = nn.Flatten();

    [Prunable(Structure = Structure.Neurons)]
    private readonly Linear hidden = nn.Linear(784, 64);

    private readonly ReLU relu = nn.ReLU();
    private readonly Linear output = nn.Linear(64, 10);

    /// <summary>Creates the network with TorchSharp's default initialisation (seed TorchSharp first for repeatability).</summary>
    public SmallMlpNeurons()
        : base(nameof(SmallMlpNeurons)) => RegisterComponents();
}
