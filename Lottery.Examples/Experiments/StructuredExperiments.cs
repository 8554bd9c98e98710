using Lottery.Examples.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Training;

namespace Lottery.Examples.Experiments;

/// <summary>
/// The hypothesis with neuron pruning: LeNet-300-100 on Fashion-MNIST, 3 seeds, 10 epochs a round. IMP removes 20% of
/// each hidden layer's neurons a round for 6 rounds; at IMP rounds 2, 4 and 6 (64%, 41% and 26% of the hidden
/// weights) the one-run schedules prune 20% after each epoch to the same neurons, and the random re-initialisation
/// control trains IMP's masks from fresh weights. `lottery inference lenet-300-100-neurons-fashion-mnist` then
/// measures the compacted models' size and speed.
/// </summary>
[Experiment(
    typeof(LeNet300100Neurons),
    Name = "lenet-300-100-neurons-fashion-mnist",
    DataSet = "fashion-mnist",
    Epochs = 10,
    Seeds = new[] { 1, 2, 3 },
    Validation = 5000,
    MatchTo = "Imp",
    Points = new[] { 2, 4, 6 })]
[Control(typeof(RandomReinitialisation), Of = "Imp")]
public static partial class LeNetNeuronsOnFashion;

/// <summary>
/// The hypothesis with channel pruning: Conv-2 on a stated subset of Fashion-MNIST (the first 6,000 training images, 1,000
/// of them held out for validation, and the first 2,000 test images), 3 seeds, 4 epochs a round, Adam 2e-4 as in the paper. IMP removes 20% of each convolution's channels and each hidden
/// layer's neurons a round for 3 rounds; at IMP rounds 1 and 3 (80% and 51%) the one-run schedule prunes after each epoch
/// to the same units (IMP's round 0 is the dense reference, so no separate dense arm).
/// </summary>
[Experiment(
    typeof(Conv2Channels),
    Name = "conv-2-channels-fashion-mnist",
    Data = typeof(FashionMnistSubset),
    Optimizer = OptimizerKind.Adam,
    LearningRate = 2e-4,
    Epochs = 4,
    Seeds = new[] { 1, 2, 3 },
    Validation = 1000,
    IncludeDense = false,
    MatchTo = "Imp",
    Points = new[] { 1, 3 })]
public static partial class Conv2ChannelsOnFashion;

/// <summary>
/// Structured pruning in under a minute: SmallMlpNeurons on the embedded digits, one seed, 3 epochs a round; IMP removes
/// 30% of the hidden neurons a round for 2 rounds, and the one-run schedule reaches the same neurons. Then
/// `lottery compact` and `lottery inference tiny-neurons` show the compacted model's size and speed.
/// </summary>
[Experiment(
    typeof(SmallMlpNeurons),
    Name = "tiny-neurons",
    DataSet = "mnist-digits",
    Epochs = 3,
    Seeds = new[] { 1 },
    Validation = 500,
    MatchTo = "Imp",
    Points = new[] { 1, 2 })]
public static partial class TinyNeurons;
