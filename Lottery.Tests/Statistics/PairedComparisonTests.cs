using Lottery.Statistics;

namespace Lottery.Tests.Statistics;

/// <summary>
/// The paired t-test and the t interval against published numbers: Student's (1908) sleep data as R's
/// <c>t.test(extra ~ group, data = sleep, paired = TRUE)</c> reports them, and R's t.test on the "clinic" data of
/// R's equivalence package as recorded in statsmodels' test_tost.py; quantiles from a printed table of Student's t.
/// </summary>
public class PairedComparisonTests
{
    // Student (1908), "The probable error of a mean", extra hours of sleep of ten patients under two drugs (R's `sleep`).
    internal static readonly double[] SleepGroup1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    internal static readonly double[] SleepGroup2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

    [Fact]
    public void Student_s_sleep_data_give_R_s_paired_t_test()
    {
        var comparison = PairedComparison.Of(SleepGroup1, SleepGroup2);

        // R: t = -4.0621, df = 9, p-value = 0.002833; 95 percent confidence interval -2.4598858 -0.7001142; mean difference -1.58.
        Assert.Equal(10, comparison.Count);
        Assert.Equal(9, comparison.DegreesOfFreedom);
        Assert.Equal(-1.58, comparison.MeanDifference, 10);
        Assert.Equal(-4.0621, comparison.T!.Value, tolerance: 5e-5);
        Assert.Equal(0.002833, comparison.P!.Value, tolerance: 5e-7);
        Assert.Equal(-2.4598858, comparison.Difference.Lower!.Value, tolerance: 5e-8);
        Assert.Equal(-0.7001142, comparison.Difference.Upper!.Value, tolerance: 5e-8);
        Assert.Equal(0.95, comparison.Difference.Level);
    }

    [Fact]
    public void The_clinic_data_give_R_s_paired_t_test()
    {
        // statsmodels' ttest_clinic_paired_1 (R's t.test, paired, on var1 of the two groups of 15): t 1.213001548676048,
        // df 14, p 0.245199929713149, 95% interval (-0.1264911434745851, 0.4558244768079186), estimate 0.1646666666666667.
        var comparison = PairedComparison.Of(Clinic.Var1Group1, Clinic.Var1Group2);

        Assert.Equal(14, comparison.DegreesOfFreedom);
        Assert.Equal(0.1646666666666667, comparison.MeanDifference, tolerance: 1e-12);
        Assert.Equal(1.213001548676048, comparison.T!.Value, tolerance: 1e-9);
        Assert.Equal(0.245199929713149, comparison.P!.Value, tolerance: 1e-9);
        Assert.Equal(-0.1264911434745851, comparison.Difference.Lower!.Value, tolerance: 1e-9);
        Assert.Equal(0.4558244768079186, comparison.Difference.Upper!.Value, tolerance: 1e-9);
    }

    [Theory]
    // Upper 2.5% and 5% points of Student's t from a printed table (as R's qt gives them to 6 decimals).
    [InlineData(4, 0.95, 2.776445)]
    [InlineData(9, 0.95, 2.262157)]
    [InlineData(9, 0.90, 1.833113)]
    [InlineData(14, 0.90, 1.761310)]
    [InlineData(2, 0.95, 4.302653)]
    public void A_t_interval_is_the_mean_plus_or_minus_the_table_s_quantile_times_the_standard_error(int degrees, double level, double quantile)
    {
        var count = degrees + 1;
        var interval = MeanInterval.FromSummary(count, 10, Math.Sqrt(count), level);   // standard error 1

        Assert.Equal(1, interval.StandardError!.Value, 12);
        Assert.Equal(10 - quantile, interval.Lower!.Value, tolerance: 5e-7);
        Assert.Equal(10 + quantile, interval.Upper!.Value, tolerance: 5e-7);
    }

    [Fact]
    public void One_value_has_a_mean_but_no_interval_and_no_test()
    {
        var comparison = PairedComparison.Of([0.981], [0.979]);

        Assert.Equal(1, comparison.Count);
        Assert.Equal(0.002, comparison.MeanDifference, 12);
        Assert.False(comparison.Difference.HasInterval);
        Assert.Null(comparison.Difference.Lower);
        Assert.Null(comparison.Difference.Upper);
        Assert.Null(comparison.Difference.StandardError);
        Assert.Null(comparison.T);
        Assert.Null(comparison.P);
    }

    [Fact]
    public void Equal_differences_give_the_limit_of_the_t_test()
    {
        var steady = PairedComparison.OfDifferences([0.2, 0.2, 0.2, 0.2, 0.2]);
        Assert.Equal(double.PositiveInfinity, steady.T);
        Assert.Equal(0, steady.P);
        Assert.Equal(0.2, steady.Difference.Lower!.Value, 12);
        Assert.Equal(0.2, steady.Difference.Upper!.Value, 12);

        var none = PairedComparison.OfDifferences([0, 0, 0]);
        Assert.Equal(0, none.T);
        Assert.Equal(1, none.P);
        Assert.Equal(0, none.Difference.Lower);
        Assert.Equal(0, none.Difference.Upper);
    }

    [Fact]
    public void Unpaired_lists_and_broken_figures_are_refused_with_what_to_do()
    {
        var unpaired = Assert.Throws<ArgumentException>(() => PairedComparison.Of([1, 2, 3], [1, 2]));
        Assert.Contains("got 3 and 2", unpaired.Message, StringComparison.Ordinal);
        var broken = Assert.Throws<ArgumentException>(() => PairedComparison.OfDifferences([0.1, double.NaN]));
        Assert.Contains("NaN", broken.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// The "clinic" data (two groups of 15 patients, five variables) of R's multeq package, as typed into statsmodels'
/// test_tost.py beside R's results on them; each list is one variable of one group, patient by patient.
/// </summary>
internal static class Clinic
{
    public static readonly double[] Var1Group1 = [2.84, 2.51, 2.41, 2.95, 3.14, 3.79, 4.14, 3.85, 3.02, 3.45, 5.37, 3.81, 4.19, 3.16, 3.84];
    public static readonly double[] Var1Group2 = [2.60, 2.82, 2.18, 3.46, 4.01, 3.04, 3.47, 4.06, 2.91, 3.59, 4.51, 3.16, 3.86, 3.31, 3.02];
    public static readonly double[] Var2Group1 = [4.00, 3.26, 4.14, 3.42, 3.25, 4.34, 4.97, 4.31, 3.11, 3.41, 5.02, 4.21, 4.59, 5.30, 4.32];
    public static readonly double[] Var2Group2 = [3.76, 3.66, 3.65, 3.60, 3.48, 2.87, 3.24, 3.92, 3.99, 4.21, 4.21, 3.31, 3.61, 2.97, 2.73];
}
