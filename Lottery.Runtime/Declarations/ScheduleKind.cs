// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one ScheduleKind), which reads declarations by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery;
#endif

/// <summary>The built-in schedules, for declarations (see <see cref="Schedules.IPruningSchedule"/>).</summary>
public enum ScheduleKind
{
    /// <summary>IMP: rounds of full training; after each, prune and rewind.</summary>
    Iterative,

    /// <summary>The hypothesis: prune after each epoch of one run, from a start epoch until a target.</summary>
    EveryEpoch,

    /// <summary>Zhu and Gupta's cubic schedule from a start to an end epoch.</summary>
    Gradual,

    /// <summary>Prune once, to the target.</summary>
    OneShot,

    /// <summary>Prune once before training, to the target, then train the mask (pruning at initialisation: SNIP, SynFlow).</summary>
    AtInit,

    /// <summary>
    /// Dynamic sparse training: prune once before training to the target, at random by default, then every so many
    /// batches drop the smallest surviving weights of each layer and regrow as many pruned connections, at zero
    /// (SET, Mocanu et al. 2018; RigL, Evci et al. 2020). The density never changes.
    /// </summary>
    DynamicSparse,
}
