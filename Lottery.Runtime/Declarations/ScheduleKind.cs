namespace Lottery;

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
}
