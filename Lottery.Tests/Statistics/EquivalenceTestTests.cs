using Lottery.Statistics;

namespace Lottery.Tests.Statistics;

/// <summary>
/// The paired TOST equivalence test against published numbers: TOSTER's documented paired example (Lakens 2017,
/// <c>TOSTpaired.raw</c>, whose figures TOSTER's own tests pin), R's equivalence package <c>tost</c> on the clinic
/// data as recorded in statsmodels' test_tost.py, and Student's sleep data worked by hand from R's published
/// t-test and a printed t table.
/// </summary>
public class EquivalenceTestTests
{
    [Fact]
    public void TOSTER_s_paired_example_is_equivalent_within_its_bounds()
    {
        // TOSTpaired.raw(n = 65, m1 = 5.83, m2 = 5.75, sd1 = 1.17, sd2 = 1.30, r12 = 0.745, low_eqbound = -0.34,
        // high_eqbound = 0.34). The differences' standard deviation from the two groups' and their correlation, as
        // any textbook writes it: sqrt(sd1² + sd2² − 2 r sd1 sd2).
        var deviation = Math.Sqrt((1.17 * 1.17) + (1.30 * 1.30) - (2 * 0.745 * 1.17 * 1.30));
        var test = EquivalenceTest.Of(PairedComparison.FromSummary(65, 5.83 - 5.75, deviation), margin: 0.34);

        Assert.Equal(64, test.Comparison.DegreesOfFreedom);
        Assert.Equal(3.803437, test.LowerT!.Value, tolerance: 5e-7);
        Assert.Equal(0.0001606103, test.LowerP!.Value, tolerance: 5e-11);
        Assert.Equal(-2.354508, test.UpperT!.Value, tolerance: 5e-7);
        Assert.Equal(0.01081349, test.UpperP!.Value, tolerance: 5e-9);
        Assert.Equal(0.01081349, test.P!.Value, tolerance: 5e-9);
        Assert.Equal(-0.1043032, test.EquivalenceInterval.Lower!.Value, tolerance: 5e-8);
        Assert.Equal(0.2643032, test.EquivalenceInterval.Upper!.Value, tolerance: 5e-8);
        Assert.Equal(0.90, test.EquivalenceInterval.Level, 12);
        Assert.Equal(-0.1406022, test.Comparison.Difference.Lower!.Value, tolerance: 5e-8);
        Assert.Equal(0.3006022, test.Comparison.Difference.Upper!.Value, tolerance: 5e-8);
        Assert.Equal(EquivalenceVerdict.Equivalent, test.Verdict);
        Assert.Equal("equivalent within ±0.34", test.Describe());
    }

    [Fact]
    public void R_s_tost_on_the_clinic_data_is_rejected_for_var1()
    {
        // statsmodels' tost_clinic_paired_1: R's tost(var1 of group 1 − var1 of group 2, eps = 0.6): mean 0.1646666666666667,
        // se 0.1357514067862445, df 14, interval (-0.0744336620516462, 0.4037669953849797), p 0.003166881489265175, 'rejected'.
        var test = EquivalenceTest.Of(PairedComparison.Of(Clinic.Var1Group1, Clinic.Var1Group2), margin: 0.6);

        Assert.Equal(0.1357514067862445, test.Comparison.Difference.StandardError!.Value, tolerance: 1e-12);
        Assert.Equal(0.003166881489265175, test.P!.Value, tolerance: 1e-11);
        Assert.Equal(-0.0744336620516462, test.EquivalenceInterval.Lower!.Value, tolerance: 1e-9);
        Assert.Equal(0.4037669953849797, test.EquivalenceInterval.Upper!.Value, tolerance: 1e-9);
        Assert.Equal(EquivalenceVerdict.Equivalent, test.Verdict);
    }

    [Fact]
    public void R_s_tost_on_the_clinic_data_is_not_rejected_for_var2_which_differs()
    {
        // statsmodels' tost_clinic_paired: R's tost(var2 of group 1 − var2 of group 2, eps = 0.6): mean 0.5626666666666665,
        // se 0.2478276410785118, df 14, interval (0.1261653305099018, 0.999168002823431), p 0.4412034046017588, 'not rejected'.
        var test = EquivalenceTest.Of(PairedComparison.Of(Clinic.Var2Group1, Clinic.Var2Group2), margin: 0.6);

        Assert.Equal(0.5626666666666665, test.Comparison.MeanDifference, tolerance: 1e-12);
        Assert.Equal(0.4412034046017588, test.P!.Value, tolerance: 1e-11);
        Assert.Equal(0.1261653305099018, test.EquivalenceInterval.Lower!.Value, tolerance: 1e-9);
        Assert.Equal(0.999168002823431, test.EquivalenceInterval.Upper!.Value, tolerance: 1e-9);

        // By hand: the 95% interval's lower end, 0.5626667 − t(0.975, 14) · se with t(0.975, 14) = 2.144787 from a
        // printed table, is 0.0311292 > 0: a difference, not shown to be within ±0.6.
        Assert.Equal(0.0311292, test.Comparison.Difference.Lower!.Value, tolerance: 1e-6);
        Assert.Equal(EquivalenceVerdict.Different, test.Verdict);
        Assert.Equal("different: higher", test.Describe());
    }

    [Fact]
    public void Student_s_sleep_data_are_not_equivalent_within_half_an_hour_worked_by_hand()
    {
        // By hand from R's published paired t-test (mean −1.58, 95% interval [−2.4598858, −0.7001142], df 9) and a
        // printed t table (t(0.975, 9) = 2.262157, t(0.95, 9) = 1.833113): se = 0.8798858 / 2.262157 = 0.3889588;
        // t(lower) = (−1.58 + 0.5) / se = −2.776644; t(upper) = (−1.58 − 0.5) / se = −5.347611;
        // the 90% interval −1.58 ± 1.833113 · se = [−2.293005, −0.866995], outside ±0.5.
        var test = EquivalenceTest.Of(PairedComparison.Of(PairedComparisonTests.SleepGroup1, PairedComparisonTests.SleepGroup2), margin: 0.5);

        Assert.Equal(-2.776644, test.LowerT!.Value, tolerance: 5e-6);
        Assert.Equal(-5.347611, test.UpperT!.Value, tolerance: 5e-6);
        Assert.Equal(-2.293005, test.EquivalenceInterval.Lower!.Value, tolerance: 5e-6);
        Assert.Equal(-0.866995, test.EquivalenceInterval.Upper!.Value, tolerance: 5e-6);

        // t(lower) = −2.78 lies below −t(0.975, 9) = −2.262157, so its upper tail exceeds 0.975; t(upper) = −5.35 lies
        // below −t(0.9995, 9) = −4.780913 (the table's 0.05% point), so its lower tail is under 0.0005.
        Assert.InRange(test.LowerP!.Value, 0.975, 1);
        Assert.InRange(test.UpperP!.Value, 0, 0.0005);
        Assert.Equal(test.LowerP, test.P);
        Assert.Equal(EquivalenceVerdict.Different, test.Verdict);
        Assert.Equal("different: lower", test.Describe());
    }

    [Fact]
    public void A_small_steady_difference_is_equivalent_yet_different()
    {
        // Every difference 0.2 within a margin of 0.5: both one-sided statistics are +infinity and −infinity (p 0 each),
        // and the 95% interval is [0.2, 0.2], which excludes 0.
        var test = EquivalenceTest.Of(PairedComparison.OfDifferences([0.2, 0.2, 0.2, 0.2, 0.2]), margin: 0.5);

        Assert.Equal(double.PositiveInfinity, test.LowerT);
        Assert.Equal(double.NegativeInfinity, test.UpperT);
        Assert.Equal(0, test.P);
        Assert.Equal(EquivalenceVerdict.EquivalentYetDifferent, test.Verdict);
        Assert.Equal("equivalent within ±0.5, yet higher", test.Describe());
    }

    [Fact]
    public void Identical_figures_are_equivalent_and_a_steady_difference_on_the_margin_is_not()
    {
        var identical = EquivalenceTest.Of(PairedComparison.OfDifferences([0, 0, 0]), margin: 0.5);
        Assert.Equal(0, identical.P);
        Assert.Equal(EquivalenceVerdict.Equivalent, identical.Verdict);

        // On the bound itself: that side's statistic is 0, so its p is one half.
        var onTheMargin = EquivalenceTest.Of(PairedComparison.OfDifferences([-0.5, -0.5, -0.5]), margin: 0.5);
        Assert.Equal(0.5, onTheMargin.LowerP);
        Assert.Equal(0.5, onTheMargin.P);
        Assert.Equal(EquivalenceVerdict.Different, onTheMargin.Verdict);
    }

    [Fact]
    public void One_pair_is_no_test_and_says_so()
    {
        var test = EquivalenceTest.Of(PairedComparison.OfDifferences([0.1]), margin: 0.5);

        Assert.Equal(EquivalenceVerdict.TooFewPairs, test.Verdict);
        Assert.Null(test.P);
        Assert.Null(test.LowerP);
        Assert.Null(test.UpperP);
        Assert.False(test.EquivalenceInterval.HasInterval);
        Assert.Equal("no test: fewer than 2 pairs", test.Describe());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_margin_that_is_not_a_positive_number_is_refused(double margin)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EquivalenceTest.Of(PairedComparison.OfDifferences([0.1, 0.2]), margin));
        Assert.Contains("give a positive number", error.Message, StringComparison.Ordinal);
    }
}
