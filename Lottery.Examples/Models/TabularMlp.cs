using Lottery.Examples.Data;
using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// A fully connected network for tabular data, by default 64-128-64-10 with ReLU, Glorot-normal weights and zero
/// biases (LeNet-300-100's recipe at the size of <see cref="OptDigitsData"/>: 64 features, 10 classes). Takes
/// inputs <c>[N, features]</c>, standardised as <see cref="Lottery.Data.CsvDataSource"/> does.
/// </summary>
/// <remarks>
/// The schedules follow LeNet-300-100's: 20% of the remaining weights per pruning event for the hidden layers and
/// half that for the output layer; IMP for 12 rounds down to about 7% of the weights, and the hypothesis (pruning
/// 20% after each of the first 12 epochs of one run, to about 7%) by magnitude.
/// </remarks>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 12, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.Magnitude)]
public sealed partial class TabularMlp : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc1;

    [Prunable]
    private readonly Linear fc2;

    [Prunable(0.1)]
    private readonly Linear fc3;

    /// <summary>Creates the 64-128-64-10 network for <see cref="OptDigitsData"/> (seed TorchSharp first for repeatability).</summary>
    public TabularMlp()
        : this(OptDigitsData.FeatureCount, OptDigitsData.ClassCount)
    {
    }

    /// <summary>Creates a <paramref name="features"/>-128-64-<paramref name="classes"/> network for another table.</summary>
    public TabularMlp(int features, int classes)
        : base(nameof(TabularMlp))
    {
        fc1 = nn.Linear(features, 128);
        fc2 = nn.Linear(128, 64);
        fc3 = nn.Linear(64, classes);
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var layer in new[] { fc1, fc2, fc3 })
        {
            nn.init.xavier_normal_(layer.weight!);
            nn.init.zeros_(layer.bias!);
        }
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(fc1.call(input));
        x = nn.functional.relu(fc2.call(x));
        return fc3.call(x).MoveToOuterDisposeScope();
    }
}
