using MathNet.Numerics.Distributions;

namespace Lottery.Statistics;

/// <summary>Student's t distribution with whole degrees of freedom, from MathNet.Numerics, with the tails taken where they are precise.</summary>
internal static class TDistribution
{
    /// <summary>The value below which <paramref name="probability"/> of the distribution lies (t_{p, df}).</summary>
    public static double Quantile(double probability, int degreesOfFreedom) => StudentT.InvCDF(0, 1, degreesOfFreedom, probability);

    /// <summary>P(T ≤ t); t may be infinite.</summary>
    public static double LowerTail(double t, int degreesOfFreedom) => t switch
    {
        double.NegativeInfinity => 0,
        double.PositiveInfinity => 1,
        _ => StudentT.CDF(0, 1, degreesOfFreedom, t),
    };

    /// <summary>P(T ≥ t), by symmetry from the lower tail, so that a tiny upper tail keeps its digits.</summary>
    public static double UpperTail(double t, int degreesOfFreedom) => LowerTail(-t, degreesOfFreedom);

    /// <summary>P(|T| ≥ |t|).</summary>
    public static double TwoSided(double t, int degreesOfFreedom) => Math.Min(1, 2 * LowerTail(-Math.Abs(t), degreesOfFreedom));

    /// <summary>
    /// numerator / standardError, where a standard error of 0 (every value equal) gives the statistic's limit: ±infinity
    /// when the numerator is not 0, and 0 when it is (the data sit exactly on the hypothesis).
    /// </summary>
    public static double Statistic(double numerator, double standardError) =>
        standardError > 0 ? numerator / standardError
        : numerator == 0 ? 0
        : numerator > 0 ? double.PositiveInfinity : double.NegativeInfinity;
}
