using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Training;

namespace Lottery.Examples.Experiments;

// The reference experiments of PRODUCT.md, declared with [Experiment]: each compiles only if its model, data set,
// schedules, points and controls are valid, and runs with `lottery run <name>` or `<Class>.Run()`.

/// <summary>
/// The main job: LeNet-300-100 on the embedded MNIST digits, 3 seeds. Dense; IMP with rewinding to initialisation
/// for 12 rounds and its random re-initialisation control; and at the weights remaining of IMP rounds 3, 7 and 12
/// (51.3%, 21.1%, 7.0%), pruning after every epoch of one run by magnitude and by least change, each with and
/// without rewinding, and random pruning.
/// </summary>
[Experiment(
    typeof(LeNet300100),
    Name = "lenet-300-100-mnist-digits",
    DataSet = "mnist-digits",
    Epochs = 15,
    Seeds = new[] { 1, 2, 3 },
    Validation = 1000,
    Schedules = new[] { "Imp", "EveryEpochMagnitude", "EveryEpochMagnitudeRewind", "EveryEpochLeastChange", "EveryEpochLeastChangeRewind", "EveryEpochRandom" },
    MatchTo = "Imp",
    Points = new[] { 3, 7, 12 })]
[Control(typeof(RandomReinitialisation), Of = "Imp")]
public static partial class LeNetOnDigits;

/// <summary>
/// The hypothesis against the literature's cheap methods on the embedded digits, 3 seeds, at the main job's points:
/// IMP, pruning after every epoch by magnitude (the hypothesis) and by movement (Sanh et al. 2020), the same with
/// Early-Bird's stop (You et al. 2020), and pruning at initialisation by SNIP (Lee et al. 2019) and SynFlow (Tanaka
/// et al. 2020). IMP's and the magnitude arm's runs are shared with the main job.
/// </summary>
[Experiment(
    typeof(LeNet300100),
    Name = "one-run-methods-mnist-digits",
    DataSet = "mnist-digits",
    Epochs = 15,
    Seeds = new[] { 1, 2, 3 },
    Validation = 1000,
    Schedules = new[] { "Imp", "EveryEpochMagnitude", "EveryEpochMovement", "EveryEpochMagnitudeEarlyBird", "Snip", "SynFlow" },
    MatchTo = "Imp",
    Points = new[] { 3, 7, 12 })]
public static partial class OneRunMethodsOnDigits;

/// <summary>The main job's arms plus MagnitudeIncrease, Gradual (cubic) and OneShot: the finished runs are shared with the main job.</summary>
[Experiment(
    typeof(LeNet300100),
    Name = "lenet-300-100-mnist-digits-all",
    DataSet = "mnist-digits",
    Epochs = 15,
    Seeds = new[] { 1, 2, 3 },
    Validation = 1000,
    Schedules = new[] { "Imp", "EveryEpochMagnitude", "EveryEpochMagnitudeRewind", "EveryEpochLeastChange", "EveryEpochLeastChangeRewind", "EveryEpochRandom", "EveryEpochMagnitudeIncrease", "Gradual", "OneShot" },
    MatchTo = "Imp",
    Points = new[] { 3, 7, 12 })]
[Control(typeof(RandomReinitialisation), Of = "Imp")]
public static partial class LeNetOnDigitsAllMethods;

/// <summary>The main job's comparison on Fashion-MNIST (60,000 / 10,000; 5,000 held out for validation).</summary>
[Experiment(
    typeof(LeNet300100),
    Name = "lenet-300-100-fashion-mnist",
    DataSet = "fashion-mnist",
    Epochs = 15,
    Seeds = new[] { 1, 2, 3 },
    Validation = 5000,
    Schedules = new[] { "Imp", "EveryEpochMagnitude", "EveryEpochMagnitudeRewind", "EveryEpochLeastChange", "EveryEpochLeastChangeRewind", "EveryEpochRandom" },
    MatchTo = "Imp",
    Points = new[] { 3, 7, 12 })]
[Control(typeof(RandomReinitialisation), Of = "Imp")]
public static partial class LeNetOnFashion;

/// <summary>Conv-2 on Fashion-MNIST, Adam 2e-4 as in the paper: dense, IMP with its control, and the hypothesis by magnitude at IMP's points.</summary>
[Experiment(
    typeof(Conv2),
    Name = "conv-2-fashion-mnist",
    DataSet = "fashion-mnist",
    Optimizer = OptimizerKind.Adam,
    LearningRate = 2e-4,
    Epochs = 15,
    Seeds = new[] { 1, 2, 3 },
    Validation = 5000,
    MatchTo = "Imp",
    Points = new[] { 3, 7, 12 })]
[Control(typeof(RandomReinitialisation), Of = "Imp")]
public static partial class Conv2OnFashion;
