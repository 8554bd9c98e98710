// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one Structure), which reads declarations by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery;
#endif

/// <summary>What one pruning decision removes: single weights, or whole units of a layer.</summary>
/// <remarks>
/// A structured layer is scored unit by unit: the criterion's score of each of the unit's weights, averaged (for
/// Magnitude, the unit's L1 norm over its fan-in; for LeastChange, that of its change since initialisation), so that
/// units of layers with different fan-in rank against each other in a global pool. Its bias is masked with the unit,
/// so a pruned unit outputs exactly zero before its activation, and compaction can remove it. Rates and targets of a
/// structured layer count units, not weights.
/// </remarks>
public enum Structure
{
    /// <summary>Single weights (the default, as in the Lottery Ticket Hypothesis).</summary>
    Unstructured = 0,

    /// <summary>Whole neurons: a Linear layer's output units (rows of its weight) with their biases.</summary>
    Neurons = 1,

    /// <summary>Whole channels: a Conv layer's output channels (its filters) with their biases.</summary>
    Channels = 2,
}
