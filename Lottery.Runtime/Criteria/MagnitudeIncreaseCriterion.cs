using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>Keeps the weights whose magnitude grew most since initialisation, |w| - |w0| (Zhou et al. 2019).</summary>
public sealed class MagnitudeIncreaseCriterion : IPruningCriterion
{
    /// <inheritdoc/>
    public string Name => nameof(CriterionKind.MagnitudeIncrease);

    /// <inheritdoc/>
    /// <remarks>Training: every score is 0 before training, so it cannot prune at initialisation.</remarks>
    public CriterionNeeds Needs => CriterionKindNeeds.Of(CriterionKind.MagnitudeIncrease);

    /// <inheritdoc/>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) => weight.abs() - initialWeight.abs();
}
