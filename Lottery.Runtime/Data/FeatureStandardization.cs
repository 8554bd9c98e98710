using static TorchSharp.torch;

namespace Lottery.Data;

/// <summary>
/// The z-score applied to tabular features, <c>(x - mean) / scale</c> per column, with the means and scales of the
/// training examples. Keep it with a trained model: the model expects its inputs scaled this way, in an app too.
/// </summary>
public sealed class FeatureStandardization
{
    /// <summary>Takes one mean and one scale per feature.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or a scale is not positive.</exception>
    public FeatureStandardization(IReadOnlyList<double> means, IReadOnlyList<double> scales)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(scales);
        if (means.Count != scales.Count || scales.Any(s => !(s > 0)))
        {
            throw new ArgumentException($"Expected one positive scale per mean; got {means.Count} means and scales {string.Join(", ", scales)}.", nameof(scales));
        }

        Means = [.. means];
        Scales = [.. scales];
    }

    /// <summary>The mean of each feature over the training examples.</summary>
    public IReadOnlyList<double> Means { get; }

    /// <summary>
    /// The population standard deviation of each feature over the training examples (divided by N, as scikit-learn's
    /// StandardScaler does), or 1 for a feature that is constant there, which is then only centred.
    /// </summary>
    public IReadOnlyList<double> Scales { get; }

    /// <summary>Computes the means and scales of row-major <paramref name="rows"/> with <paramref name="width"/> features a row.</summary>
    internal static FeatureStandardization Fit(float[] rows, int width)
    {
        var count = rows.Length / width;
        var means = new double[width];
        var scales = new double[width];
        for (var f = 0; f < width; f++)
        {
            double sum = 0;
            for (var r = 0; r < count; r++)
            {
                sum += rows[(r * width) + f];
            }

            var mean = sum / count;
            double squares = 0;
            for (var r = 0; r < count; r++)
            {
                var d = rows[(r * width) + f] - mean;
                squares += d * d;
            }

            var deviation = Math.Sqrt(squares / count);
            means[f] = mean;
            scales[f] = deviation > 0 ? deviation : 1.0;
        }

        return new FeatureStandardization(means, scales);
    }

    /// <summary>
    /// Scales <paramref name="inputs"/> (<c>[N, F]</c>, raw values as in the CSV) as the training examples were; the
    /// arithmetic is done in float64 and the result is float32. The caller owns the result.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs do not have one column per feature.</exception>
    public Tensor Apply(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() != 2 || inputs.shape[1] != Means.Count)
        {
            throw new ArgumentException($"Expected inputs of shape [N, {Means.Count}], got [{string.Join(", ", inputs.shape)}].", nameof(inputs));
        }

        using var scope = NewDisposeScope();
        var means = tensor(Means.ToArray(), ScalarType.Float64);
        var scales = tensor(Scales.ToArray(), ScalarType.Float64);
        return inputs.to(ScalarType.Float64).sub(means).div(scales).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
