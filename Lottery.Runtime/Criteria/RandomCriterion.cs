using static TorchSharp.torch;

namespace Lottery.Criteria;

/// <summary>Prunes uniformly at random: the control that every other criterion must beat.</summary>
public sealed class RandomCriterion : IPruningCriterion
{
    /// <inheritdoc/>
    public string Name => "Random";

    /// <inheritdoc/>
    /// <remarks>
    /// Drawn on the generator's device (the CPU for a run's seeded generator) and moved to the weight's: a seed gives the
    /// same scores, so the same masks, on every device.
    /// </remarks>
    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random)
    {
        var scores = rand(weight.shape, dtype: ScalarType.Float32, device: random.device, generator: random);
        return scores.device_type == weight.device_type && scores.device_index == weight.device_index ? scores : scores.to(weight.device);
    }
}
