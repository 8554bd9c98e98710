using Lottery.Masks;
using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// A small 784-64-10 network with a schedule of its own: pruning after every epoch from epoch 2, one threshold over
/// both layers (Global), each time rewinding to the weights after epoch 1 (late rewinding). The model of the
/// <c>own-schedule</c> experiment, which shows (and tests) that any declared schedule runs, resumes and reports.
/// </summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 2)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "GlobalLateRewind", Rate = 0.2, TargetRemaining = 0.5, StartEpoch = 2, Scope = PruningScope.Global, Rewind = RewindKind.ToEpoch, RewindEpoch = 1)]
public sealed partial class SmallMlp : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear hidden;

    [Prunable(0.1)]
    private readonly Linear output;

    /// <summary>Creates the network with TorchSharp's default initialisation (seed TorchSharp first for repeatability).</summary>
    public SmallMlp()
        : base(nameof(SmallMlp))
    {
        hidden = nn.Linear(784, 64);
        output = nn.Linear(64, 10);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(hidden.call(input.reshape(input.shape[0], -1)));
        return output.call(x).MoveToOuterDisposeScope();
    }
}
