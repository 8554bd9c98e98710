// Compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own) for CriterionKindNeeds.cs.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery.Criteria;
#endif

/// <summary>
/// What a criterion needs beyond each weight and its value at initialisation. A run provides it through the
/// <see cref="PruningContext"/>, and the schedule must prune at a point where it makes sense.
/// </summary>
[Flags]
public enum CriterionNeeds
{
    /// <summary>Only the weights (Magnitude, Random).</summary>
    None = 0,

    /// <summary>Forward and backward passes through the model (SNIP, SynFlow).</summary>
    Model = 1,

    /// <summary>A batch of training data (SNIP); SynFlow, which needs the model but no data, leaves it out.</summary>
    Data = 2,

    /// <summary>
    /// Training before the event: its scores say nothing before the weights have moved (LeastChange, MagnitudeIncrease:
    /// every score is equal at initialisation) or before training has accumulated them (Movement). A schedule that
    /// prunes before training (<see cref="ScheduleKind.AtInit"/>) refuses it.
    /// </summary>
    Training = 4,
}
