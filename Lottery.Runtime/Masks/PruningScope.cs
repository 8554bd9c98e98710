// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one PruningScope), which reads declarations by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery.Masks;
#endif

/// <summary>Whether each layer loses its own rate, or one threshold is drawn over all layers together.</summary>
public enum PruningScope
{
    /// <summary>Each layer loses its own rate of its remaining weights.</summary>
    Layerwise,

    /// <summary>
    /// The layers without a rate of their own are pooled and lose the lowest-scoring weights of the pool;
    /// layers with a rate of their own are pruned layerwise at that rate.
    /// </summary>
    Global,
}
