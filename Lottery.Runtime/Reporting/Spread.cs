using Lottery.Statistics;

namespace Lottery.Reporting;

/// <summary>Mean, sample standard deviation (0 for one value), minimum and maximum, and the mean's 95% interval.</summary>
/// <param name="Mean">The mean.</param>
/// <param name="StandardDeviation">The sample standard deviation.</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
public readonly record struct Spread(double Mean, double StandardDeviation, double Min, double Max)
{
    /// <summary>
    /// The mean's 95% interval from Student's t; none (<see cref="MeanInterval.HasInterval"/> false) for one value, or
    /// when a value is missing (NaN: a test accuracy not evaluated at early stopping).
    /// </summary>
    public MeanInterval Interval { get; init; }

    /// <summary>The spread of <paramref name="values"/>.</summary>
    public static Spread Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var mean = values.Average();
        var deviation = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new Spread(mean, deviation, values.Min(), values.Max()) { Interval = values.All(double.IsFinite) ? MeanInterval.Of(values) : default };
    }
}
