using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>
/// Prunes the weights that changed least since initialisation, |w - w0| (movement, Zhou et al. 2019;
/// the seed blog post's "least change"). Not <see cref="MovementCriterion"/>, which sums -w * g over training
/// (movement pruning, Sanh et al. 2020).
/// </summary>
public sealed class LeastChangeCriterion : IPruningCriterion
{
    /// <inheritdoc/>
    public string Name => nameof(CriterionKind.LeastChange);

    /// <inheritdoc/>
    /// <remarks>Training: every score is 0 before training, so it cannot prune at initialisation.</remarks>
    public CriterionNeeds Needs => CriterionKindNeeds.Of(CriterionKind.LeastChange);

    /// <inheritdoc/>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) => (weight - initialWeight).abs();
}
