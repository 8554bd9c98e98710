using Lottery.Reporting;
using Lottery.Statistics;

namespace Lottery.Tests.Statistics;

/// <summary>
/// The summary's comparisons pair two arms by seed at each point: with Student's sleep data as the accuracies of ten
/// seeds (in percent), the comparison reproduces R's paired t-test on them.
/// </summary>
public class ArmComparisonTests
{
    [Fact]
    public void Arms_are_paired_by_seed_at_each_point_and_give_R_s_paired_t_test_in_points()
    {
        // Seeds listed in another order for the arm than for the reference: pairing is by seed, never by position.
        var rows = new List<SummaryRow>();
        for (var i = 0; i < 10; i++)
        {
            rows.Add(Row("Imp", seed: i + 1, point: 3, accuracy: (90 + PairedComparisonTests.SleepGroup2[i]) / 100));
        }

        for (var i = 9; i >= 0; i--)
        {
            rows.Add(Row("EveryEpochMagnitude", seed: i + 1, point: 3, accuracy: (90 + PairedComparisonTests.SleepGroup1[i]) / 100));
        }

        rows.Add(Row("Dense", seed: 1, point: 0, accuracy: 0.98));

        var comparison = Assert.Single(ArmComparison.Of(rows, ["Dense", "Imp", "EveryEpochMagnitude"], "Imp", [3], margin: 0.5));

        Assert.Equal(("EveryEpochMagnitude", "Imp", 3), (comparison.Arm, comparison.Reference, comparison.Point));
        Assert.Equal(Enumerable.Range(1, 10).Select(s => (long)s), comparison.Seeds);
        var test = comparison.Final.Comparison;

        // R: t = -4.0621, df = 9, p-value = 0.002833, 95% interval [-2.4598858, -0.7001142], mean -1.58 (here: points).
        Assert.Equal(-1.58, test.MeanDifference, tolerance: 1e-9);
        Assert.Equal(-4.0621, test.T!.Value, tolerance: 5e-5);
        Assert.Equal(0.002833, test.P!.Value, tolerance: 5e-7);
        Assert.Equal(-2.4598858, test.Difference.Lower!.Value, tolerance: 5e-8);
        Assert.Equal(-0.7001142, test.Difference.Upper!.Value, tolerance: 5e-8);
        Assert.Equal(0.5, comparison.Final.Margin);
        Assert.Equal(EquivalenceVerdict.Different, comparison.Final.Verdict);
    }

    [Fact]
    public void Only_seeds_both_arms_have_are_pairs_and_a_point_without_any_is_left_out()
    {
        List<SummaryRow> rows =
        [
            Row("Imp", seed: 1, point: 1, accuracy: 0.97),
            Row("Imp", seed: 2, point: 1, accuracy: 0.96),
            Row("Imp", seed: 1, point: 2, accuracy: 0.95),
            Row("OneShot", seed: 2, point: 1, accuracy: 0.95),
            Row("OneShot", seed: 3, point: 1, accuracy: 0.90),
            Row("OneShot", seed: 2, point: 2, accuracy: 0.94),
        ];

        var comparison = Assert.Single(ArmComparison.Of(rows, ["Imp", "OneShot"], "Imp", [1, 2], margin: 0.5));

        Assert.Equal(1, comparison.Point);
        Assert.Equal([2L], comparison.Seeds);
        Assert.Equal(-1, comparison.Final.Comparison.MeanDifference, tolerance: 1e-9);
        Assert.Equal(EquivalenceVerdict.TooFewPairs, comparison.Final.Verdict);
        Assert.False(comparison.Final.Comparison.Difference.HasInterval);
    }

    [Fact]
    public void A_spread_carries_its_95_percent_interval_and_none_for_one_seed()
    {
        // Student's sleep group 1 by hand: mean 0.75, sd 1.7890097 (a hand sum of squares, 28.805 / 9); t(0.975, 9) =
        // 2.262157 from a printed table gives 0.75 ± 2.262157 · 1.7890097 / √10 = [−0.5297803, 2.0297803].
        var spread = Spread.Of(PairedComparisonTests.SleepGroup1);
        Assert.Equal(-0.5297803, spread.Interval.Lower!.Value, tolerance: 5e-7);
        Assert.Equal(2.0297803, spread.Interval.Upper!.Value, tolerance: 5e-7);

        Assert.False(Spread.Of([0.98]).Interval.HasInterval);
        Assert.False(Spread.Of([0.98, double.NaN]).Interval.HasInterval);
    }

    private static SummaryRow Row(string arm, long seed, int point, double accuracy) =>
        new(arm, "EveryEpoch", "Magnitude", "None", seed, point, 51.3, accuracy, accuracy, 0, 15, 1, $"{arm}-s{seed}", "Layerwise", 0.2, null, null);
}
