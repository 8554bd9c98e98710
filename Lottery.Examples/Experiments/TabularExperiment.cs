using Lottery.Examples.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Examples.Experiments;

/// <summary>
/// Your own data and loss in an experiment: TabularMlp on the optdigits CSV shipped in Lottery.Examples/Data
/// (64 numeric columns and a label column, read by <see cref="Lottery.Data.CsvDataSource"/>), trained with
/// label smoothing; dense, IMP with its control, and pruning after every epoch at IMP's points.
/// `lottery run tabular-optdigits`.
/// </summary>
[Experiment(
    typeof(TabularMlp),
    Name = "tabular-optdigits",
    Data = typeof(OptDigitsData),
    Loss = typeof(LabelSmoothingLoss),
    Epochs = 15,
    Seeds = new[] { 1, 2, 3 },
    Validation = 150,
    MatchTo = "Imp",
    Points = new[] { 3, 7, 12 })]
[Control(typeof(RandomReinitialisation), Of = "Imp")]
public static partial class TabularExperiment;

/// <summary>Cross-entropy with label smoothing 0.1 (Szegedy et al. 2016): an example of a loss of your own.</summary>
public sealed class LabelSmoothingLoss : ILossFunction
{
    /// <inheritdoc/>
    public string Name => "cross-entropy-label-smoothing-0.1";

    /// <inheritdoc/>
    public Tensor Compute(Tensor output, Tensor labels, nn.Reduction reduction) => nn.functional.cross_entropy(output, labels, reduction: reduction, label_smoothing: 0.1);
}
