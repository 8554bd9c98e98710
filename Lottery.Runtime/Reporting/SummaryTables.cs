using System.Globalization;
using Lottery.Statistics;

namespace Lottery.Reporting;

/// <summary>A table of the report, for the console and for <c>report.md</c>.</summary>
/// <param name="Title">What it shows.</param>
/// <param name="Headers">Column headers.</param>
/// <param name="Rows">Cells, row by row.</param>
public sealed record ReportTable(string Title, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>
/// The report's tables, for any arms: accuracy at the matched points (or each arm at its end), each arm against the
/// reference arm seed by seed (difference, 95% interval, paired t-test, equivalence test), IMP-like arms round by round
/// with the controls on their masks, training cost, and the list of arms.
/// </summary>
public static class SummaryTables
{
    /// <summary>The tables of <paramref name="summary"/>.</summary>
    public static IReadOnlyList<ReportTable> Of(ExperimentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var record = summary.Record;
        var seeds = record.Seeds.Count == 1 ? "1 seed" : $"{record.Seeds.Count} seeds";
        var tables = new List<ReportTable>();
        var arms = record.Arms.Select(a => a.Name).ToList();
        var dense = arms.FirstOrDefault(summary.IsDense) is { } denseArm ? summary.Point(denseArm, 0) : null;
        var matched = record.Points.OrderBy(r => r).ToList();
        if (record.ReferenceArm is { } matchedArm && matched.Count > 0)
        {
            var headers = new List<string> { "arm" };
            headers.AddRange(matched.Select(r => Invariant($"{summary.Point(matchedArm, r)?.WeightsRemainingPercent ?? double.NaN:0.#}% ({matchedArm} round {r})")));
            var rows = arms.Select(arm => (IReadOnlyList<string>)
            [
                arm,
                .. matched.Select(r => summary.IsDense(arm) && summary.Point(arm, 0) is { } d ? $"{Accuracy(d.Final)} (dense)"
                    : summary.Point(arm, r) is { } p ? $"{Accuracy(p.Final)} / {Accuracy(p.AtBestValidation)}" : "-"),
            ]).ToList();
            tables.Add(new ReportTable($"Test accuracy at matched weights remaining, mean ± sd over {seeds}: at the end / at early stopping (lowest validation loss)", headers, rows));
        }

        if (summary.Comparisons.Count > 0)
        {
            tables.Add(ComparisonTable(summary, "at the end of training", c => c.Final));
            tables.Add(ComparisonTable(summary, "at early stopping", c => c.AtBestValidation));
        }

        // Arms the matched table does not show (all arms when nothing is matched), IMP-like arms aside: they have their own table.
        var inMatrix = record.ReferenceArm is null ? [] : arms.Where(a => summary.IsDense(a) || matched.Any(r => summary.Point(a, r) is not null)).ToHashSet();
        var ends = summary.Points
            .Where(p => !inMatrix.Contains(p.Arm) && !summary.Rows.Any(r => r.Arm == p.Arm && r.Schedule == nameof(ScheduleKind.Iterative)))
            .Select(p => (IReadOnlyList<string>)[p.Arm, Invariant($"{p.Point}"), Invariant($"{p.WeightsRemainingPercent:0.0}%"), Accuracy(p.Final), Interval(p.Final.Interval), Accuracy(p.AtBestValidation), Invariant($"{p.EpochsTrained:0}")])
            .ToList();
        if (ends.Count > 0)
        {
            tables.Add(new ReportTable(
                $"Test accuracy of each arm at the end of its run, mean ± sd and 95% interval of the mean over {seeds}",
                ["arm", "point", "weights remaining", "test accuracy (end)", "95% interval (end)", "test accuracy (early stop)", "epochs"],
                ends));
        }

        foreach (var iterative in record.Arms.Where(a => summary.Rows.Any(r => r.Arm == a.Name && r.Schedule == nameof(ScheduleKind.Iterative))))
        {
            var controls = record.Arms.Where(a => a.Source == iterative.Name).ToList();
            var rows = summary.Points.Where(p => p.Arm == iterative.Name).Select(p => (IReadOnlyList<string>)
            [
                Invariant($"{p.Point}"),
                Invariant($"{p.WeightsRemainingPercent:0.0}%"),
                Accuracy(p.Final),
                Interval(p.Final.Interval),
                Accuracy(p.AtBestValidation),
                .. controls.Select(c => summary.Point(c.Name, p.Point) is { } control ? Accuracy(control.Final) : "-"),
                Invariant($"{p.EpochsTrained:0}"),
                Invariant($"{p.TrainingSeconds:0.0}"),
            ]).ToList();
            tables.Add(new ReportTable(
                $"{iterative.Name} round by round{(controls.Count > 0 ? ", and " + string.Join(", ", controls.Select(c => c.Name)) + " on the same masks" : string.Empty)}",
                ["round", "weights remaining", "test accuracy (end)", "95% interval (end)", "test accuracy (early stop)", .. controls.Select(c => $"{c.Name} (end)"), "epochs", "seconds"],
                rows));
        }

        var deepest = matched.Count > 0 ? matched.Max() : (int?)null;
        var cost = arms.Select(arm => CostPoint(summary, arm, deepest)).OfType<SummaryPoint>().Select(p => (IReadOnlyList<string>)
        [
            p.Arm,
            Invariant($"{p.WeightsRemainingPercent:0.0}%"),
            Accuracy(p.Final),
            Invariant($"{p.EpochsTrained:0}"),
            Invariant($"{p.TrainingSeconds:0.0}"),
            dense is null ? "-" : Invariant($"{p.EpochsTrained / dense.EpochsTrained:0.0}x"),
            MultiplyAdds(summary, p, r => r.TrainingMultiplyAdds),
            MultiplyAdds(summary, p, r => r.InferenceMultiplyAdds),
        ]).ToList();
        tables.Add(new ReportTable(
            deepest is { } d2
                ? $"Training cost to reach the smallest matched point ({record.ReferenceArm} round {d2}); a control also needs the run that found its mask"
                : "Training cost of each arm to its end",
            ["arm", "weights remaining", "test accuracy (end)", "epochs", "seconds", "epochs vs dense", "training multiply-adds", "inference multiply-adds an example"],
            cost));

        var masks = summary.Points
            .Select(p => (Point: p, Rows: summary.Rows.Where(r => r.Arm == p.Arm && r.Point == p.Point).ToList()))
            .Where(g => g.Rows.Any(r => r.OverlapWithMatched is not null || r.MaskSettledEpoch is not null))
            .Select(g => (IReadOnlyList<string>)
            [
                g.Point.Arm,
                Invariant($"{g.Point.Point}"),
                Invariant($"{g.Point.WeightsRemainingPercent:0.0}%"),
                g.Rows.All(r => r.OverlapWithMatched is not null) ? Invariant($"{g.Rows.Average(r => r.OverlapWithMatched!.Value):0.000}") : "-",
                Invariant($"{g.Rows.Count(r => r.MaskSettledEpoch is not null)} of {g.Rows.Count}"),
                g.Rows.Any(r => r.MaskSettledEpoch is not null) ? Invariant($"{g.Rows.Where(r => r.MaskSettledEpoch is not null).Average(r => r.MaskSettledEpoch!.Value):0.0}") : "-",
            ]).ToList();
        if (masks.Count > 0)
        {
            tables.Add(new ReportTable(
                $"Masks: overlap with {record.ReferenceArm ?? "the reference arm"}'s (Jaccard, mean over seeds) and when they settled (Early-Bird: mask distance below 0.1 for 5 epochs in a row)",
                ["arm", "point", "weights remaining", "overlap", "settled in", "settled after epoch (mean)"],
                masks));
        }

        tables.Add(new ReportTable("Arms", ["arm", "what it runs"], record.Arms.Select(a => (IReadOnlyList<string>)[a.Name, a.Description]).ToList()));
        return tables;
    }

    /// <summary>The point whose cost an arm is shown with: the deepest matched point where it has one, else its last.</summary>
    public static SummaryPoint? CostPoint(ExperimentSummary summary, string arm, int? deepest)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return (deepest is { } d ? summary.Point(arm, d) : null)
            ?? summary.Points.Where(p => p.Arm == arm).OrderBy(p => p.WeightsRemainingPercent).FirstOrDefault();
    }

    /// <summary>The mean over seeds of a point's multiply-adds, with a unit (k, M, G, T); "-" where a row has none.</summary>
    private static string MultiplyAdds(ExperimentSummary summary, SummaryPoint point, Func<SummaryRow, long?> value)
    {
        var values = summary.Rows.Where(r => r.Arm == point.Arm && r.Point == point.Point).Select(value).ToList();
        if (values.Count == 0 || values.Any(v => v is null))
        {
            return "-";
        }

        var mean = values.Average(v => (double)v!.Value);
        return mean switch
        {
            >= 1e12 => Invariant($"{mean / 1e12:0.00} T"),
            >= 1e9 => Invariant($"{mean / 1e9:0.00} G"),
            >= 1e6 => Invariant($"{mean / 1e6:0.00} M"),
            >= 1e3 => Invariant($"{mean / 1e3:0.0} k"),
            _ => Invariant($"{mean:0}"),
        };
    }

    /// <summary>Mean ± sd in percent, two decimals.</summary>
    public static string Accuracy(Spread spread) => Invariant($"{spread.Mean * 100:0.00} ± {spread.StandardDeviation * 100:0.00}");

    /// <summary>A 95% interval of an accuracy in percent, two decimals: "[97.85, 98.35]", or "-" where there is none (one seed).</summary>
    public static string Interval(MeanInterval interval) =>
        interval is { Lower: { } lower, Upper: { } upper } ? Invariant($"[{lower * 100:0.00}, {upper * 100:0.00}]") : "-";

    /// <summary>A p-value as a report shows it: three decimals, or "&lt; 0.001"; "-" where there is no test.</summary>
    public static string Probability(double? p) => p switch
    {
        null => "-",
        < 0.001 => "< 0.001",
        { } value => Invariant($"{value:0.000}"),
    };

    // Each arm against the reference arm at each point: the difference in points with its 95% interval, the paired
    // t-test and the equivalence test, one row per arm and point.
    private static ReportTable ComparisonTable(ExperimentSummary summary, string when, Func<ArmComparison, EquivalenceTest> measure)
    {
        var record = summary.Record;
        var margin = Invariant($"{record.EquivalenceMargin:0.###}");
        var rows = summary.Comparisons.Select(c =>
        {
            var test = measure(c);
            var difference = test.Comparison.Difference;
            return (IReadOnlyList<string>)
            [
                c.Arm,
                Invariant($"{c.Reference} round {c.Point} ({c.WeightsRemainingPercent:0.#}%)"),
                Invariant($"{difference.Count}"),
                difference.Count == 0 ? "-" : Invariant($"{difference.Mean:+0.00;-0.00;0.00}"),
                difference is { Lower: { } lower, Upper: { } upper } ? Invariant($"[{lower:0.00}, {upper:0.00}]") : "-",
                Probability(test.Comparison.P),
                Probability(test.P),
                test.Verdict == EquivalenceVerdict.TooFewPairs ? "no test: fewer than 2 seeds" : test.Describe(),
            ];
        }).ToList();
        return new ReportTable(
            $"Each arm against {record.ReferenceArm}, paired by seed, test accuracy {when}: difference in points (arm − {record.ReferenceArm}) with its 95% interval, "
            + $"paired t-test, and equivalence within ±{margin} points (two one-sided tests, α = 0.05; margin declared with the experiment)",
            ["arm", "at", "seeds", "difference", "95% interval", "p (t-test)", $"p (equivalence ±{margin})", "verdict"],
            rows);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
