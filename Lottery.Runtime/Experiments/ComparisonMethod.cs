using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>The methods a hypothesis comparison can run (see <see cref="ComparisonSettings"/>).</summary>
public enum ComparisonMethod
{
    /// <summary>No pruning: the reference.</summary>
    Dense,

    /// <summary>Iterative magnitude pruning with rewinding to initialisation (Frankle and Carbin 2019): one row per round.</summary>
    Imp,

    /// <summary>The control: IMP's mask at a matched round, trained from fresh random weights.</summary>
    ImpRandomReinit,

    /// <summary>The hypothesis: prune by magnitude after every epoch of one run, no rewinding.</summary>
    EveryEpochMagnitude,

    /// <summary>Prune by magnitude after every epoch of one run, rewinding the survivors to initialisation each time.</summary>
    EveryEpochMagnitudeRewind,

    /// <summary>The hypothesis: prune the weights that changed least since initialisation after every epoch, no rewinding.</summary>
    EveryEpochLeastChange,

    /// <summary>Least change after every epoch, rewinding to initialisation each time.</summary>
    EveryEpochLeastChangeRewind,

    /// <summary>The control: random pruning after every epoch of one run, no rewinding.</summary>
    EveryEpochRandom,

    /// <summary>|w| - |w0| after every epoch of one run, no rewinding (Zhou et al. 2019).</summary>
    EveryEpochMagnitudeIncrease,

    /// <summary>The literature's one-run baseline: Zhu and Gupta's cubic gradual pruning by magnitude.</summary>
    Gradual,

    /// <summary>One-shot magnitude pruning to the target after the pruning window, then fine-tuning.</summary>
    OneShot,
}
