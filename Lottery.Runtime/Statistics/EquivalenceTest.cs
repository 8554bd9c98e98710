using System.Globalization;

namespace Lottery.Statistics;

/// <summary>What a paired comparison with an equivalence margin shows.</summary>
public enum EquivalenceVerdict
{
    /// <summary>Fewer than two pairs: nothing can be tested.</summary>
    TooFewPairs,

    /// <summary>The difference lies within ±margin (both one-sided tests reject) and the 95% interval holds 0.</summary>
    Equivalent,

    /// <summary>Within ±margin, yet the 95% interval excludes 0: a real difference, smaller than the margin.</summary>
    EquivalentYetDifferent,

    /// <summary>Not shown within ±margin, and the 95% interval excludes 0.</summary>
    Different,

    /// <summary>Neither: the data cannot tell (too few pairs or too much spread); this is not evidence of a difference.</summary>
    NotShownEquivalent,
}

/// <summary>
/// The paired equivalence test of two one-sided tests (TOST; Schuirmann 1987): the mean difference μ lies within
/// ±<see cref="Margin"/> if both H0: μ ≤ −margin (t = (mean + margin) / SE, upper tail) and H0: μ ≥ +margin
/// (t = (mean − margin) / SE, lower tail) are rejected at <see cref="Alpha"/>; the TOST p-value is the larger of the
/// two, and equivalently the 1 − 2α interval (90% at α = 0.05) lies within ±margin. The margin must be chosen before
/// the data are seen: it says how large a difference would matter.
/// </summary>
/// <remarks>
/// With a standard error of 0 (every difference equal) each one-sided statistic takes its limit (see
/// <see cref="PairedComparison"/>): differences all strictly inside ±margin are equivalent with p = 0; a
/// difference exactly on a bound gives p = 0.5 for that side.
/// </remarks>
public sealed record EquivalenceTest
{
    /// <summary>The paired comparison tested: the mean difference, its 95% interval and the paired t-test.</summary>
    public required PairedComparison Comparison { get; init; }

    /// <summary>The margin Δ: differences within ±Δ count as equivalent.</summary>
    public required double Margin { get; init; }

    /// <summary>The level of each one-sided test.</summary>
    public required double Alpha { get; init; }

    /// <summary>t of H0: μ ≤ −Δ, or null for fewer than two pairs.</summary>
    public double? LowerT { get; init; }

    /// <summary>p of H0: μ ≤ −Δ (the upper tail of <see cref="LowerT"/>), or null for fewer than two pairs.</summary>
    public double? LowerP { get; init; }

    /// <summary>t of H0: μ ≥ +Δ, or null for fewer than two pairs.</summary>
    public double? UpperT { get; init; }

    /// <summary>p of H0: μ ≥ +Δ (the lower tail of <see cref="UpperT"/>), or null for fewer than two pairs.</summary>
    public double? UpperP { get; init; }

    /// <summary>The TOST p-value: the larger of <see cref="LowerP"/> and <see cref="UpperP"/>, or null for fewer than two pairs.</summary>
    public double? P => LowerP is { } lower && UpperP is { } upper ? Math.Max(lower, upper) : null;

    /// <summary>The 1 − 2α interval of the mean difference (90% at α = 0.05): equivalence holds when it lies within ±Δ.</summary>
    public required MeanInterval EquivalenceInterval { get; init; }

    /// <summary>What the test shows.</summary>
    public required EquivalenceVerdict Verdict { get; init; }

    /// <summary>Tests whether <paramref name="comparison"/>'s mean difference lies within ±<paramref name="margin"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The margin is not a positive number, or α is not in (0, 0.5).</exception>
    public static EquivalenceTest Of(PairedComparison comparison, double margin, double alpha = 0.05)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        if (!(margin > 0) || double.IsPositiveInfinity(margin))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The equivalence margin is the largest difference that does not matter: give a positive number, for example 0.5 (points of accuracy).");
        }

        if (!(alpha > 0 && alpha < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Each one-sided test's level lies between 0 and 0.5, usually 0.05.");
        }

        var difference = comparison.Difference;
        var interval = MeanInterval.FromSummary(difference.Count, difference.Mean, difference.StandardDeviation, 1 - (2 * alpha));
        if (difference.StandardError is not { } error)
        {
            return new EquivalenceTest { Comparison = comparison, Margin = margin, Alpha = alpha, EquivalenceInterval = interval, Verdict = EquivalenceVerdict.TooFewPairs };
        }

        var degrees = difference.DegreesOfFreedom;
        var lowerT = TDistribution.Statistic(difference.Mean + margin, error);
        var upperT = TDistribution.Statistic(difference.Mean - margin, error);
        var lowerP = TDistribution.UpperTail(lowerT, degrees);
        var upperP = TDistribution.LowerTail(upperT, degrees);
        var equivalent = Math.Max(lowerP, upperP) < alpha;
        var different = difference.Lower > 0 || difference.Upper < 0;
        var verdict = (equivalent, different) switch
        {
            (true, false) => EquivalenceVerdict.Equivalent,
            (true, true) => EquivalenceVerdict.EquivalentYetDifferent,
            (false, true) => EquivalenceVerdict.Different,
            _ => EquivalenceVerdict.NotShownEquivalent,
        };
        return new EquivalenceTest
        {
            Comparison = comparison,
            Margin = margin,
            Alpha = alpha,
            LowerT = lowerT,
            LowerP = lowerP,
            UpperT = upperT,
            UpperP = upperP,
            EquivalenceInterval = interval,
            Verdict = verdict,
        };
    }

    /// <summary>The verdict in words, for example "equivalent within ±0.5" or "different: lower" (first against second).</summary>
    public string Describe()
    {
        var margin = Margin.ToString("0.###", CultureInfo.InvariantCulture);
        var direction = Comparison.MeanDifference < 0 ? "lower" : "higher";
        return Verdict switch
        {
            EquivalenceVerdict.TooFewPairs => "no test: fewer than 2 pairs",
            EquivalenceVerdict.Equivalent => $"equivalent within ±{margin}",
            EquivalenceVerdict.EquivalentYetDifferent => $"equivalent within ±{margin}, yet {direction}",
            EquivalenceVerdict.Different => $"different: {direction}",
            _ => "not shown equivalent",
        };
    }
}
