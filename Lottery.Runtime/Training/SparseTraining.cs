// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one SparseTraining), which reads [Experiment(SparseTraining = ...)] by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery.Training;
#endif

/// <summary>
/// How a masked Linear layer trains: its product and gradients over every weight (the masked weight, zeros
/// included), or over its surviving weights only (<c>Lottery.Training.Sparse.SparseLinear</c>), the optimizer then stepping over
/// those alone.
/// </summary>
public enum SparseTraining
{
    /// <summary>LibTorch's dense product with the masked weight, zeros included: what every run computed before.</summary>
    Dense,

    /// <summary>
    /// The sparse path for each masked Linear layer whose surviving share is at most
    /// <c>SparseTrainingRule.AutoDensity</c>, decided again at every epoch from the layer's mask alone (never
    /// from a timing), so that the same run computes the same figures on every machine; dense for the others.
    /// </summary>
    Auto,

    /// <summary>The sparse path for every masked Linear layer (whatever its density).</summary>
    Sparse,
}
