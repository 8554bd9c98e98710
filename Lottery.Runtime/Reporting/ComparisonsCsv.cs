using System.Globalization;
using System.Text;
using Lottery.Statistics;

namespace Lottery.Reporting;

/// <summary>
/// The comparisons as <c>comparisons.csv</c>: one line per arm, point and measure (<c>final</c>, <c>best_validation</c>),
/// differences in percentage points of test accuracy (arm − reference); an empty cell where fewer than two seeds
/// give no interval or test, and <c>inf</c> / <c>-inf</c> for the t of differences that are all equal.
/// </summary>
public static class ComparisonsCsv
{
    /// <summary>The columns, in order.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "experiment", "arm", "reference", "point", "weights_remaining_pct", "measure", "seeds", "mean_difference_pts",
        "ci95_low_pts", "ci95_high_pts", "t", "df", "p_paired_t", "margin_pts", "tost_p_lower", "tost_p_upper", "tost_p",
        "ci90_low_pts", "ci90_high_pts", "verdict",
    ];

    /// <summary>The CSV text, header first (the header alone when the experiment matched nothing).</summary>
    public static string Write(ExperimentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var csv = new StringBuilder(string.Join(',', Columns)).Append('\n');
        foreach (var comparison in summary.Comparisons)
        {
            Line(comparison, "final", comparison.Final);
            Line(comparison, "best_validation", comparison.AtBestValidation);
        }

        return csv.ToString();

        void Line(ArmComparison comparison, string measure, EquivalenceTest test)
        {
            var difference = test.Comparison.Difference;
            csv.Append(string.Join(',',
                summary.Record.Name, comparison.Arm, comparison.Reference, Invariant(comparison.Point),
                comparison.WeightsRemainingPercent.ToString("0.####", CultureInfo.InvariantCulture), measure,
                Invariant(difference.Count), difference.Count == 0 ? string.Empty : Number(difference.Mean), Number(difference.Lower), Number(difference.Upper),
                Number(test.Comparison.T), test.Comparison.T is null ? string.Empty : Invariant(difference.DegreesOfFreedom),
                Probability(test.Comparison.P), Number(test.Margin), Probability(test.LowerP), Probability(test.UpperP), Probability(test.P),
                Number(test.EquivalenceInterval.Lower), Number(test.EquivalenceInterval.Upper), test.Verdict.ToString())).Append('\n');
        }
    }

    private static string Number(double? value) => value switch
    {
        null => string.Empty,
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        { } finite => finite.ToString("0.######", CultureInfo.InvariantCulture),
    };

    private static string Probability(double? value) => value?.ToString("G6", CultureInfo.InvariantCulture) ?? string.Empty;

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
