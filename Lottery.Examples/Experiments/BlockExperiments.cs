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
    Epochs = 2,
    Seeds = new[] { 1 },
    Validation = 1000,
    IncludeDense = false,
    MatchTo = "Imp",
    Points = new[] { 1, 2 })]
public static partial class SmallResNetOnDigits;
