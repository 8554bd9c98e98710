using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// Scores weights for pruning: the lowest-scoring surviving weights are removed first.
/// A criterion of your own is one class implementing this interface, registered with <see cref="PruningCriteria.Register"/>
/// and named by <see cref="Runs.PruningMethod.CriterionName"/> or <c>[PruneSchedule(CriterionName = ...)]</c>; one that needs
/// the model, data or what training gathered implements <see cref="IContextCriterion"/> instead.
/// </summary>
public interface IPruningCriterion
{
    /// <summary>The name used in settings, reports and the command line (for example <c>Magnitude</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Returns a new tensor of <paramref name="weight"/>'s shape; higher means more worth keeping.
    /// </summary>
    /// <param name="weight">The current weights.</param>
    /// <param name="initialWeight">The same weights at initialisation.</param>
    /// <param name="random">A seeded generator for criteria that draw random numbers.</param>
    Tensor Score(Tensor weight, Tensor initialWeight, Generator random);

    /// <summary>What the criterion needs beyond the weights; <see cref="CriterionNeeds.None"/> unless it says otherwise.</summary>
    CriterionNeeds Needs => CriterionNeeds.None;

    /// <summary>
    /// Everything besides its name that decides its scores (its parameters, for example <c>power=2</c>), as one line; part of
    /// the identity of every run that uses a criterion of your own, so that changing a parameter trains the runs again.
    /// Empty for a criterion without parameters.
    /// </summary>
    string Settings => string.Empty;
}
