// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one RewindKind), which reads declarations by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery.Schedules;
#endif

/// <summary>What happens to the surviving weights after a pruning event.</summary>
public enum RewindKind
{
    /// <summary>Keep training the current weights, with the learning-rate schedule going on.</summary>
    None,

    /// <summary>Weights back to their values at initialisation (the original lottery ticket).</summary>
    ToInit,

    /// <summary>Weights back to their values after epoch k (late rewinding, Frankle et al. 2020).</summary>
    ToEpoch,

    /// <summary>Keep the weights, restart the learning-rate schedule (Renda et al. 2020).</summary>
    LearningRate,
}
