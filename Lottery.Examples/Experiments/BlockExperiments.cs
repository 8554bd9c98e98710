using Lottery.Examples.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;

namespace Lottery.Examples.Experiments;

/// <summary>
/// A smoke test of the whole path on a model built from blocks: the small ResNet, whose blocks declare their own
/// [Prunable] convolutions, on the stated subset of Fashion-MNIST, one seed, 3 epochs a round. IMP removes 20% of every
/// convolution's weights a round for 3 rounds; at its rounds 1 to 3 the one-run schedule prunes 20% after each epoch to
/// the same weights remaining. `lottery groups small-resnet-fashion-mnist` shows the model's dependency groups.
/// </summary>
[Experiment(
    typeof(SmallResNet),
    Name = "small-resnet-fashion-mnist",
    Data = typeof(FashionMnistSubset),
    Schedules = new[] { "Imp", "EveryEpochMagnitude" },
    Epochs = 3,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false,
    MatchTo = "Imp",
    Points = new[] { 1, 2, 3 })]
public static partial class SmallResNetOnFashion;

/// <summary>The same smoke test on the embedded digits, in about a minute and with no download: `lottery run small-resnet-digits`.</summary>
[Experiment(
    typeof(SmallResNet),
    Name = "small-resnet-digits",
    Schedules = new[] { "Imp", "EveryEpochMagnitude" },
    Epochs = 2,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false,
    MatchTo = "Imp",
    Points = new[] { 1, 2 })]
public static partial class SmallResNetOnDigits;

/// <summary>
/// The same smoke test by channels: IMP and pruning after every epoch remove 20% of each dependency group's channels per
/// event (ImpChannels, EveryEpochChannels), on the stated subset of Fashion-MNIST, one seed, 3 epochs a round; at IMP's
/// rounds 1 to 3 the one-run schedule prunes after each epoch until it reaches the same weights remaining.
/// </summary>
[Experiment(
    typeof(SmallResNet),
    Name = "small-resnet-channels-fashion-mnist",
    Data = typeof(FashionMnistSubset),
    Schedules = new[] { "ImpChannels", "EveryEpochChannels" },
    Epochs = 3,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false,
    MatchTo = "ImpChannels",
    Points = new[] { 1, 2, 3 })]
public static partial class SmallResNetChannelsOnFashion;

/// <summary>
/// The channel experiment with every group kept at a multiple of 8 channels (ImpChannels8: RoundTo = 8), on the same data
/// and settings: its own experiment, because its rounds reach other weights remaining (53.2%, 25.2%, 12.6%) than
/// ImpChannels' and an experiment compares arms at one set of points. `lottery inference small-resnet-rounded-fashion-mnist`
/// measures it compacted, where ONNX Runtime's blocked convolutions take whole blocks of 8 channels.
/// </summary>
[Experiment(
    typeof(SmallResNet),
    Name = "small-resnet-rounded-fashion-mnist",
    Data = typeof(FashionMnistSubset),
    Schedules = new[] { "ImpChannels8" },
    Epochs = 3,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false)]
public static partial class SmallResNetRoundedOnFashion;

/// <summary>
/// The rounded channel experiment trained for the goal's accuracy: ImpChannels8 (every group a multiple of 8 channels,
/// rewound to initialisation each round) and TuneChannels8 (the same pruning, the trained weights kept and trained on:
/// prune and fine-tune, as structured pruning is usually done) on all of Fashion-MNIST (1,000 training images held out),
/// one seed, 4 epochs a round, so the dense model is not left under-trained as on the subset. `lottery inference small-resnet-rounded-full-fashion-mnist` measures each round
/// compacted in place beside the dense model, in TorchSharp and ONNX Runtime.
/// </summary>
[Experiment(
    typeof(SmallResNet),
    Name = "small-resnet-rounded-full-fashion-mnist",
    DataSet = "fashion-mnist",
    Schedules = new[] { "ImpChannels8", "TuneChannels8" },
    Epochs = 4,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false)]
public static partial class SmallResNetRoundedOnFullFashion;

/// <summary>The channel smoke test on the embedded digits, 3 epochs a round, in about ten minutes on two cores: `lottery run small-resnet-channels-digits`.</summary>
[Experiment(
    typeof(SmallResNet),
    Name = "small-resnet-channels-digits",
    Schedules = new[] { "ImpChannels", "EveryEpochChannels" },
    Epochs = 3,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false,
    MatchTo = "ImpChannels",
    Points = new[] { 1, 2, 3 })]
public static partial class SmallResNetChannelsOnDigits;

/// <summary>
/// The small ResNet by channels in seconds, for the tests and a first try: IMP by dependency groups (ImpChannels, 20% of
/// each group's channels a round, 3 rounds), two epochs a round on a subset of the embedded digits. `lottery inference
/// tiny-resnet-channels` then measures each round dense, masked and compacted in place.
/// </summary>
[Experiment(
    typeof(SmallResNet),
    Name = "tiny-resnet-channels",
    Data = typeof(DigitsSubset),
    Schedules = new[] { "ImpChannels" },
    Epochs = 2,
    Seeds = new[] { 1 },
    Validation = 200,
    IncludeDense = false)]
public static partial class TinyResNetChannels;

/// <summary>
/// The transformer classifier by heads and feed-forward neurons (ImpHeads: a quarter of each group's units a round, 3
/// rounds, rewound to initialisation), on Fashion-MNIST, one seed, 4 epochs a round. `lottery
/// inference transformer-heads-fashion-mnist` then measures each round dense, masked and compacted in place (its pruned
/// heads and neurons removed), in TorchSharp and ONNX Runtime.
/// </summary>
[Experiment(
    typeof(TransformerClassifier),
    Name = "transformer-heads-fashion-mnist",
    DataSet = "fashion-mnist",
    Schedules = new[] { "ImpHeads" },
    Epochs = 4,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false)]
public static partial class TransformerHeadsOnFashion;
