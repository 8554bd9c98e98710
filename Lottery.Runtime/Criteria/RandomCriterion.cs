using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>Prunes uniformly at random: the control that every other criterion must beat.</summary>
public sealed class RandomCriterion : IPruningCriterion
{
    /// <inheritdoc/>
    public string Name => "Random";

    /// <inheritdoc/>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) =>
        rand(weight.shape, dtype: ScalarType.Float32, device: weight.device, generator: random);
}
