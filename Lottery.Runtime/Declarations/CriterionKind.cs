// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one CriterionKind), which reads declarations by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery;
#endif

/// <summary>The built-in criteria, for declarations (see <see cref="Criteria.PruningCriteria"/>).</summary>
public enum CriterionKind
{
    /// <summary>|w|: the smallest weights go (the paper's large_final).</summary>
    Magnitude,

    /// <summary>|w - w0|: the weights that moved least since initialisation go.</summary>
    LeastChange,

    /// <summary>|w| - |w0|: the weights whose magnitude grew least go.</summary>
    MagnitudeIncrease,

    /// <summary>Random scores: the control.</summary>
    Random,

    /// <summary>|g * w| on one batch of training data (SNIP, Lee et al. 2019): made for <see cref="ScheduleKind.AtInit"/>.</summary>
    Snip,

    /// <summary>Synaptic flow, |dR/dw * w| with every parameter made positive and an input of ones; no data, 100 passes per event (Tanaka et al. 2020).</summary>
    SynFlow,

    /// <summary>-sum of w * g over training, gathered after every batch (movement pruning, Sanh et al. 2020); needs training before it prunes.</summary>
    Movement,
}
