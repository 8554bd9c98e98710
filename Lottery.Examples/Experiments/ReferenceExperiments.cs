using Lottery.Examples.Models;
using Lottery.Training;

namespace Lottery.Examples.Experiments;

// The reference experiments of PRODUCT.md, declared with [Experiment]: each compiles only if its model, data
// set, schedules and values are valid, and runs with `lottery experiment <name>` or `<Name>.Run()`.

/// <summary>LeNet-300-100 on the embedded MNIST digits: dense, IMP, and the hypothesis with each criterion.</summary>
[Experiment(typeof(LeNet300100), DataSet = "mnist-digits", Epochs = 15, Seeds = new[] { 1, 2, 3 }, Validation = 1000)]
public static partial class LeNetOnDigits;

/// <summary>LeNet-300-100 on Fashion-MNIST (60,000 / 10,000): dense, IMP, and the hypothesis with each criterion.</summary>
[Experiment(typeof(LeNet300100), DataSet = "fashion-mnist", Epochs = 15, Seeds = new[] { 1, 2, 3 }, Validation = 5000)]
public static partial class LeNetOnFashion;

/// <summary>Conv-2 on Fashion-MNIST, Adam 2e-4 as in the paper: dense, IMP, and the hypothesis by magnitude.</summary>
[Experiment(typeof(Conv2), DataSet = "fashion-mnist", Optimizer = OptimizerKind.Adam, LearningRate = 2e-4, Epochs = 15, Seeds = new[] { 1, 2, 3 }, Validation = 5000)]
public static partial class Conv2OnFashion;

/// <summary>The experiments above, by command-line name.</summary>
internal static class ReferenceExperiments
{
    public static IReadOnlyDictionary<string, Lottery.Experiments.ExperimentDefinition> All { get; } =
        new Dictionary<string, Lottery.Experiments.ExperimentDefinition>(StringComparer.OrdinalIgnoreCase)
        {
            ["lenet-digits"] = LeNetOnDigits.Definition,
            ["lenet-fashion"] = LeNetOnFashion.Definition,
            ["conv2-fashion"] = Conv2OnFashion.Definition,
        };
}
