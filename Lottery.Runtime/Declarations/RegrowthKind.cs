// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one RegrowthKind), which reads declarations by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery;
#endif

/// <summary>How a <see cref="ScheduleKind.DynamicSparse"/> schedule chooses the connections it regrows.</summary>
public enum RegrowthKind
{
    /// <summary>At random among the pruned connections (SET, Mocanu et al. 2018).</summary>
    Random,

    /// <summary>The pruned connections with the largest gradient magnitude on the current batch (RigL, Evci et al. 2020).</summary>
    Gradient,
}
