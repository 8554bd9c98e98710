using System.Globalization;
using ScottPlot;

namespace Lottery.Reporting;

/// <summary>The report's PNG charts, drawn with ScottPlot from an <see cref="ExperimentSummary"/> alone, one colour per arm.</summary>
public static class SummaryCharts
{
    private const int Width = 1000;
    private const int Height = 650;

    /// <summary>
    /// Test accuracy against weights remaining, like the lottery-ticket paper's figures: the x axis in percent on a
    /// log scale, decreasing to the right; one line per arm through its mean at each point, error bars for the mean's
    /// 95% interval over the seeds (Student's t; none with one seed); the dense arm as a dashed reference line.
    /// </summary>
    /// <param name="summary">The experiment's figures.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="earlyStop">Plot the test accuracy at the early-stopping point (lowest validation loss) instead of at the end.</param>
    public static void AccuracyVersusWeights(ExperimentSummary summary, string path, bool earlyStop = false)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var plot = new Plot();
        var arms = PrunedArms(summary);
        foreach (var arm in arms)
        {
            var points = summary.Points.Where(p => p.Arm == arm).OrderByDescending(p => p.WeightsRemainingPercent).ToList();
            var xs = points.Select(p => Math.Log10(p.WeightsRemainingPercent)).ToArray();
            var ys = points.Select(p => Of(p).Mean * 100).ToArray();
            var color = ColorOf(arms, arm);
            var line = plot.Add.Scatter(xs, ys, color);
            line.LegendText = arm;
            line.LineWidth = 2;
            line.MarkerSize = 6;
            var halfWidths = points.Select(p => Of(p).Interval is { Upper: { } upper, Mean: var mean } ? (upper - mean) * 100 : 0).ToArray();
            var bars = plot.Add.ErrorBar(xs, ys, halfWidths);
            bars.YErrorPositive = halfWidths;
            bars.YErrorNegative = halfWidths;
            bars.Color = color;
        }

        foreach (var dense in summary.Record.Arms.Select(a => a.Name).Where(summary.IsDense).Select(a => summary.Point(a, 0)).OfType<SummaryPoint>())
        {
            var reference = plot.Add.HorizontalLine(Of(dense).Mean * 100);
            reference.LegendText = dense.Arm;
            reference.Color = Colors.Black;
            reference.LinePattern = LinePattern.Dashed;
            reference.LineWidth = 1.5f;
        }

        var ticks = summary.Points.Where(p => arms.Contains(p.Arm)).Select(p => Math.Round(p.WeightsRemainingPercent, 1)).Distinct().OrderByDescending(x => x).ToList();
        plot.Axes.Bottom.SetTicks(ticks.Select(Math.Log10).ToArray(), ticks.Select(t => t.ToString("0.#", CultureInfo.InvariantCulture)).ToArray());
        var widest = ticks.Count > 0 ? ticks[0] : 100;
        var narrowest = ticks.Count > 0 ? ticks[^1] : 1;
        plot.Axes.SetLimitsX(Math.Log10(widest) + 0.05, Math.Log10(narrowest) - 0.05);
        var intervals = summary.Record.Seeds.Count > 1 ? "bars: 95% intervals" : "no interval";
        plot.Title($"{ShortName(summary)}: test accuracy {(earlyStop ? "at early stopping" : "at the end of training")} ({Seeds(summary)}, {intervals})");
        plot.XLabel("Weights remaining (%), log scale");
        plot.YLabel("Test accuracy (%)");
        plot.ShowLegend(Alignment.LowerLeft);
        AtomicFile.Write(path, temporary => File.WriteAllBytes(temporary, plot.GetImageBytes(Width, Height, ImageFormat.Png)));

        Spread Of(SummaryPoint point) => earlyStop ? point.AtBestValidation : point.Final;
    }

    /// <summary>Training cost: mean seconds (and epochs) each arm trained to reach the smallest matched point (or its end), as horizontal bars.</summary>
    public static void TrainingCost(ExperimentSummary summary, string path)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var deepest = summary.Record.Points.Count > 0 ? summary.Record.Points.Max() : (int?)null;
        var arms = PrunedArms(summary);
        var points = summary.Record.Arms
            .Select(a => SummaryTables.CostPoint(summary, a.Name, deepest))
            .OfType<SummaryPoint>()
            .Reverse()
            .ToList();
        var plot = new Plot();
        var bars = points.Select((p, i) => new Bar
        {
            Position = i,
            Value = p.TrainingSeconds,
            FillColor = ColorOf(arms, p.Arm),
            Label = FormattableString.Invariant($"{p.EpochsTrained:0} epochs, {p.TrainingSeconds:0} s"),
        }).ToList();
        var series = plot.Add.Bars(bars);
        series.Horizontal = true;
        series.ValueLabelStyle.FontSize = 14;
        plot.Axes.Left.SetTicks(
            points.Select((_, i) => (double)i).ToArray(),
            points.Select(p => FormattableString.Invariant($"{p.Arm} ({p.WeightsRemainingPercent:0.#}%)")).ToArray());
        plot.Axes.Margins(left: 0, right: 0.3);
        plot.Title(deepest is { } d
            ? $"{ShortName(summary)}: training cost to {summary.Record.ReferenceArm} round {d}, mean over {Seeds(summary)}"
            : $"{ShortName(summary)}: training cost of each arm, mean over {Seeds(summary)}");
        plot.XLabel("Training seconds (evaluation excluded)");
        AtomicFile.Write(path, temporary => File.WriteAllBytes(temporary, plot.GetImageBytes(Width, Height, ImageFormat.Png)));
    }

    private static List<string> PrunedArms(ExperimentSummary summary) =>
        summary.Record.Arms.Select(a => a.Name).Where(a => !summary.IsDense(a) && summary.Points.Any(p => p.Arm == a)).ToList();

    private static Color ColorOf(List<string> arms, string arm)
    {
        var index = arms.IndexOf(arm);
        return index < 0 ? Colors.Gray : new ScottPlot.Palettes.Category20().GetColor(index);
    }

    private static string ShortName(ExperimentSummary summary) => $"{summary.Record.Model.Class.Split('.')[^1]} on {summary.Record.Data.Name}";

    private static string Seeds(ExperimentSummary summary) => summary.Record.Seeds.Count == 1 ? "1 seed" : $"{summary.Record.Seeds.Count} seeds";
}
