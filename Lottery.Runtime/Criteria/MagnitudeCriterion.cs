using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>Keeps the weights of largest magnitude |w| (the paper's large_final).</summary>
public sealed class MagnitudeCriterion : IPruningCriterion
{
    /// <inheritdoc/>
    public string Name => nameof(CriterionKind.Magnitude);

    /// <inheritdoc/>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) => weight.abs();
}
