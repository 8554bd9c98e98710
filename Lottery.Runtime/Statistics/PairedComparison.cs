namespace Lottery.Statistics;

/// <summary>
/// Two sets of figures compared pair by pair (in an experiment: two arms, seed by seed): the differences
/// first − second, their mean with its 95% interval, and Student's paired t-test of "no difference"
/// (t = mean / (s / √n), n − 1 degrees of freedom, two-sided p).
/// </summary>
/// <remarks>
/// Pairing removes what both members of a pair share (a seed's data order and initial weights), so a small but
/// steady difference shows even when the figures themselves vary more from seed to seed. Fewer than two pairs give
/// no test: <see cref="T"/> and <see cref="P"/> are null. Differences that are all equal (a standard error of 0)
/// give the statistic's limit: t = ±infinity and p = 0 when they are not 0, t = 0 and p = 1 when they are all 0.
/// </remarks>
public sealed record PairedComparison
{
    /// <summary>The differences' mean with its 95% interval (count, standard deviation and standard error too).</summary>
    public required MeanInterval Difference { get; init; }

    /// <summary>The t statistic, or null for fewer than two pairs.</summary>
    public double? T { get; init; }

    /// <summary>The two-sided p-value of "the mean difference is 0", or null for fewer than two pairs.</summary>
    public double? P { get; init; }

    /// <summary>How many pairs.</summary>
    public int Count => Difference.Count;

    /// <summary>The mean of first − second.</summary>
    public double MeanDifference => Difference.Mean;

    /// <summary>n − 1.</summary>
    public int DegreesOfFreedom => Difference.DegreesOfFreedom;

    /// <summary>Compares <paramref name="first"/> with <paramref name="second"/>, element i with element i.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or a value is not finite.</exception>
    public static PairedComparison Of(IReadOnlyList<double> first, IReadOnlyList<double> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count)
        {
            throw new ArgumentException($"A paired comparison needs one second value for each first value; got {first.Count} and {second.Count}. Pair them (by seed) before comparing.", nameof(second));
        }

        return OfDifferences(first.Select((value, i) => value - second[i]).ToList());
    }

    /// <summary>The comparison from the pairs' differences (first − second).</summary>
    public static PairedComparison OfDifferences(IReadOnlyList<double> differences) => From(MeanInterval.Of(differences));

    /// <summary>The comparison from the differences' count, mean and standard deviation (as a publication reports them).</summary>
    public static PairedComparison FromSummary(int count, double meanDifference, double standardDeviation) =>
        From(MeanInterval.FromSummary(count, meanDifference, standardDeviation));

    private static PairedComparison From(MeanInterval difference)
    {
        if (difference.StandardError is not { } error)
        {
            return new PairedComparison { Difference = difference };
        }

        var t = TDistribution.Statistic(difference.Mean, error);
        return new PairedComparison { Difference = difference, T = t, P = TDistribution.TwoSided(t, difference.DegreesOfFreedom) };
    }
}
