using Lottery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HostConsumer;

/// <summary>A user's own small network: IMP for two rounds, and pruning after every epoch matched to it.</summary>
[Chain(nameof(flatten), nameof(hidden), nameof(relu), nameof(output), InputShape = new[] { 784 })]
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 2)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpoch", Rate = 0.2, TargetRemaining = 0.5)]
public sealed partial class TinyNet : nn.Module<Tensor, Tensor>
{
    private readonly Flatten flatten = nn.Flatten();

    [Prunable]
    private readonly Linear hidden;

    private readonly ReLU relu = nn.ReLU();

    [Prunable(0.1)]
    private readonly Linear output;

    public TinyNet()
        : base(nameof(TinyNet))
    {
        hidden = nn.Linear(784, 32);
        output = nn.Linear(32, 10);
        RegisterComponents();
    }
}

/// <summary>The experiment this program hosts: `HostConsumer run tiny-on-digits --workers 2`.</summary>
[Experiment(typeof(TinyNet), Name = "tiny-on-digits", Epochs = 2, Seeds = new[] { 1 }, Validation = 500, MatchTo = "Imp", Points = new[] { 1, 2 })]
public static partial class TinyOnDigits;
