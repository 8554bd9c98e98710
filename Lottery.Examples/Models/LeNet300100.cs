using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// LeNet-300-100: a fully connected 784-300-100-10 network with ReLU, Glorot-normal weights and zero
/// biases, as in Frankle and Carbin (2019). Takes images of any shape that flattens to 784 values.
/// </summary>
/// <remarks>
/// The paper's rates: 20% of the remaining weights per pruning event for the hidden layers, half that for the
/// output layer. The layers are declared as a [Chain]: the generator writes <c>forward</c> (flatten, then the three
/// layers with ReLU between them), <c>ToSequential()</c> and <c>Compact()</c>. The schedules are the reference experiments' arms: IMP down to about 7% of the weights; the
/// hypothesis (pruning 20% after each of the first 12 epochs of a 15-epoch run, to about 7%, leaving 3 epochs to
/// recover) with each criterion, with and without rewinding to initialisation; and the literature's one-run
/// baselines, Zhu and Gupta's cubic schedule over the same epochs and one-shot pruning after epoch 12. In an
/// experiment matched to IMP, the one-run schedules' targets become IMP's weights remaining at each point. The
/// literature's one-run methods: SNIP and SynFlow pruning at initialisation, movement pruning after every epoch, and
/// magnitude pruning after every epoch with Early-Bird's stop (after 3 epochs in a row below 0.1, as the run has 12 pruning epochs).
/// </remarks>
[Chain(nameof(flatten), nameof(fc1), nameof(relu1), nameof(fc2), nameof(relu2), nameof(fc3), InputShape = new[] { 784 })]
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 12, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.Iterative, Name = "ImpDeep", Rate = 0.2, Rounds = 19, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.Magnitude)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitudeRewind", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.Magnitude, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochLeastChange", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.LeastChange)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochLeastChangeRewind", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.LeastChange, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochRandom", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.Random)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitudeIncrease", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.MagnitudeIncrease)]
[PruneSchedule(ScheduleKind.Gradual, Name = "Gradual", TargetRemaining = 0.07, StartEpoch = 1, EndEpoch = 12)]
[PruneSchedule(ScheduleKind.OneShot, Name = "OneShot", TargetRemaining = 0.07, StartEpoch = 12)]
[PruneSchedule(ScheduleKind.AtInit, Name = "Snip", TargetRemaining = 0.07, Criterion = CriterionKind.Snip)]
[PruneSchedule(ScheduleKind.AtInit, Name = "SynFlow", TargetRemaining = 0.07, Criterion = CriterionKind.SynFlow)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMovement", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.Movement)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitudeEarlyBird", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, EarlyBirdDistance = 0.1, EarlyBirdEpochs = 3)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitudeDeep", Rate = 0.2, TargetRemaining = 0.015, EndEpoch = 19, Epochs = 22)]
[PruneSchedule(ScheduleKind.Gradual, Name = "GradualDeep", TargetRemaining = 0.015, StartEpoch = 1, EndEpoch = 19, Epochs = 22)]
[PruneSchedule(ScheduleKind.AtInit, Name = "SnipDeep", TargetRemaining = 0.015, Criterion = CriterionKind.Snip, Epochs = 22)]
[PruneSchedule(ScheduleKind.AtInit, Name = "SynFlowDeep", TargetRemaining = 0.015, Criterion = CriterionKind.SynFlow, Epochs = 22)]
[PruneSchedule(ScheduleKind.DynamicSparse, Name = "SetDeep", TargetRemaining = 0.015, Regrowth = RegrowthKind.Random, Epochs = 22)]
[PruneSchedule(ScheduleKind.DynamicSparse, Name = "RigLDeep", TargetRemaining = 0.015, Regrowth = RegrowthKind.Gradient, Epochs = 22)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochRate10", Rate = 0.1, TargetRemaining = 0.015, EndEpoch = 41, Epochs = 44)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochRate20", Rate = 0.2, TargetRemaining = 0.015, EndEpoch = 41, Epochs = 44)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochRate35", Rate = 0.35, TargetRemaining = 0.015, EndEpoch = 41, Epochs = 44)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochRate50", Rate = 0.5, TargetRemaining = 0.015, EndEpoch = 41, Epochs = 44)]
public sealed partial class LeNet300100 : nn.Module<Tensor, Tensor>
{
    private readonly Flatten flatten = nn.Flatten();

    [Prunable]
    private readonly Linear fc1;

    private readonly ReLU relu1 = nn.ReLU();

    [Prunable]
    private readonly Linear fc2;

    private readonly ReLU relu2 = nn.ReLU();

    [Prunable(0.1)]
    private readonly Linear fc3;

    /// <summary>Creates the network with freshly initialised weights (seed TorchSharp first for repeatability).</summary>
    public LeNet300100(int inputs = 784, int classes = 10)
        : base(nameof(LeNet300100))
    {
        fc1 = nn.Linear(inputs, 300);
        fc2 = nn.Linear(300, 100);
        fc3 = nn.Linear(100, classes);
        RegisterComponents();
        PaperInitialisation.GlorotNormalZeroBias(fc1, fc2, fc3);
    }
}
