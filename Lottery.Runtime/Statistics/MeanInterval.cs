using System.Text.Json.Serialization;

namespace Lottery.Statistics;

/// <summary>
/// A sample's mean with its two-sided confidence interval from Student's t distribution:
/// mean ± t_{1 − (1 − level)/2, n − 1} · s / √n, with s the sample standard deviation. It assumes the values are
/// independent draws from a roughly normal distribution (here: one figure per seed).
/// </summary>
/// <remarks>
/// Fewer than two values give no interval: <see cref="Lower"/>, <see cref="Upper"/> and <see cref="StandardError"/>
/// are null (never NaN) and <see cref="HasInterval"/> is false, so a report says "no interval" instead of printing a
/// number. Values that are all equal give an interval of width 0 at the mean: the sample shows no spread, which is
/// not a proof that there is none (more seeds would tell).
/// </remarks>
public readonly record struct MeanInterval
{
    /// <summary>How many values.</summary>
    public int Count { get; init; }

    /// <summary>Their mean (0 when there are none).</summary>
    public double Mean { get; init; }

    /// <summary>The sample standard deviation (divisor n − 1); 0 for fewer than two values.</summary>
    public double StandardDeviation { get; init; }

    /// <summary>s / √n, or null for fewer than two values.</summary>
    public double? StandardError { get; init; }

    /// <summary>The confidence level, for example 0.95.</summary>
    public double Level { get; init; }

    /// <summary>The interval's lower end, or null for fewer than two values.</summary>
    public double? Lower { get; init; }

    /// <summary>The interval's upper end, or null for fewer than two values.</summary>
    public double? Upper { get; init; }

    /// <summary>n − 1 (0 for fewer than two values).</summary>
    public int DegreesOfFreedom => Math.Max(Count - 1, 0);

    /// <summary>Whether there is an interval (at least two values).</summary>
    [JsonIgnore]
    public bool HasInterval => Lower is not null && Upper is not null;

    /// <summary>The mean of <paramref name="values"/> and its <paramref name="level"/> interval.</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite, or the level is not between 0 and 1.</exception>
    public static MeanInterval Of(IReadOnlyList<double> values, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var value in values)
        {
            if (!double.IsFinite(value))
            {
                throw new ArgumentException($"A value is {value}: a mean and its interval need finite numbers. Look for a run whose figures are missing or broken.", nameof(values));
            }
        }

        if (values.Count == 0)
        {
            return FromSummary(0, 0, 0, level);
        }

        var mean = values.Average();
        var deviation = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return FromSummary(values.Count, mean, deviation, level);
    }

    /// <summary>The interval from a sample's size, mean and standard deviation (as a publication reports them).</summary>
    /// <exception cref="ArgumentException">A figure is out of range: the message names it.</exception>
    public static MeanInterval FromSummary(int count, double mean, double standardDeviation, double level = 0.95)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A sample has 0 or more values.");
        }

        if (!double.IsFinite(mean) || !double.IsFinite(standardDeviation) || standardDeviation < 0)
        {
            throw new ArgumentException($"Mean {mean} and standard deviation {standardDeviation}: both must be finite, the deviation 0 or more.");
        }

        if (!(level > 0 && level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "A confidence level lies strictly between 0 and 1, for example 0.95.");
        }

        if (count < 2)
        {
            return new MeanInterval { Count = count, Mean = mean, StandardDeviation = 0, Level = level };
        }

        var error = standardDeviation / Math.Sqrt(count);
        var half = TDistribution.Quantile(1 - ((1 - level) / 2), count - 1) * error;
        return new MeanInterval
        {
            Count = count,
            Mean = mean,
            StandardDeviation = standardDeviation,
            StandardError = error,
            Level = level,
            Lower = mean - half,
            Upper = mean + half,
        };
    }
}
