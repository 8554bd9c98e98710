using Lottery.Experiments;
using Lottery.Runs;
using ScottPlot;

namespace Lottery.Results;

/// <summary>The report's PNG charts, drawn with ScottPlot from a <see cref="ComparisonReport"/> alone.</summary>
public static class ComparisonCharts
{
    private const int Width = 1000;
    private const int Height = 650;

    /// <summary>
    /// Test accuracy against weights remaining, like the lottery-ticket paper's figures: the x axis in percent
    /// on a log scale, decreasing to the right; one line per method through its mean at each point, error bars
    /// from the lowest to the highest seed; dense as a dashed reference line.
    /// </summary>
    /// <param name="report">The comparison.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="earlyStop">Plot the test accuracy at the early-stopping point (lowest validation loss) instead of at the end.</param>
    public static void AccuracyVersusWeights(ComparisonReport report, string path, bool earlyStop = false)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = new Plot();
        var methods = report.Record.Methods.Where(m => m != ComparisonMethod.Dense).ToList();
        for (var i = 0; i < methods.Count; i++)
        {
            var points = report.Points.Where(p => p.Method == methods[i]).OrderByDescending(p => p.WeightsRemainingPercent).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            var xs = points.Select(p => Math.Log10(p.WeightsRemainingPercent)).ToArray();
            var ys = points.Select(p => Of(p).Mean * 100).ToArray();
            var color = ColorOf(report, methods[i]);
            var line = plot.Add.Scatter(xs, ys, color);
            line.LegendText = ComparisonReport.Label(methods[i]);
            line.LineWidth = 2;
            line.MarkerSize = 6;
            var bars = plot.Add.ErrorBar(xs, ys, points.Select(p => (Of(p).Max - Of(p).Mean) * 100).ToArray());
            bars.YErrorNegative = points.Select(p => (Of(p).Mean - Of(p).Min) * 100).ToArray();
            bars.Color = color;
        }

        if (report.Point(ComparisonMethod.Dense, 0) is { } dense)
        {
            var reference = plot.Add.HorizontalLine(Of(dense).Mean * 100);
            reference.LegendText = "Dense";
            reference.Color = Colors.Black;
            reference.LinePattern = LinePattern.Dashed;
            reference.LineWidth = 1.5f;
        }

        var ticks = report.Points.Where(p => p.Method != ComparisonMethod.Dense).Select(p => Math.Round(p.WeightsRemainingPercent, 1)).Distinct().OrderByDescending(x => x).ToList();
        plot.Axes.Bottom.SetTicks(ticks.Select(Math.Log10).ToArray(), ticks.Select(t => t.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        var widest = ticks.Count > 0 ? ticks[0] : 100;
        var narrowest = ticks.Count > 0 ? ticks[^1] : 1;
        plot.Axes.SetLimitsX(Math.Log10(widest) + 0.05, Math.Log10(narrowest) - 0.05);
        plot.Title($"{report.Record.Model} on {report.Record.DataSet}: test accuracy {(earlyStop ? "at early stopping" : "at the end of training")} ({Seeds(report)}, bars: min to max)");
        plot.XLabel("Weights remaining (%), log scale");
        plot.YLabel("Test accuracy (%)");
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, Width, Height);

        Spread Of(SummaryPoint point) => earlyStop ? point.AtBestValidation : point.Final;
    }

    private static Color ColorOf(ComparisonReport report, ComparisonMethod method)
    {
        var index = report.Record.Methods.Where(m => m != ComparisonMethod.Dense).ToList().IndexOf(method);
        return index < 0 ? Colors.Gray : new ScottPlot.Palettes.Category10().GetColor(index);
    }

    private static string Seeds(ComparisonReport report) => report.Record.Seeds.Count == 1 ? "1 seed" : $"{report.Record.Seeds.Count} seeds";

    /// <summary>Training cost: mean seconds (and epochs) each method trained to reach the smallest matched point, as horizontal bars.</summary>
    public static void TrainingCost(ComparisonReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        var deepest = report.Record.MatchedRounds.Max();
        var points = report.Record.Methods
            .Select(m => report.Point(m, m == ComparisonMethod.Dense ? 0 : deepest))
            .OfType<SummaryPoint>()
            .Reverse()
            .ToList();
        var plot = new Plot();
        var bars = points.Select((p, i) => new Bar
        {
            Position = i,
            Value = p.TrainingSeconds,
            FillColor = ColorOf(report, p.Method),
            Label = FormattableString.Invariant($"{p.EpochsTrained:0} epochs, {p.TrainingSeconds:0} s"),
        }).ToList();
        var series = plot.Add.Bars(bars);
        series.Horizontal = true;
        series.ValueLabelStyle.FontSize = 14;
        plot.Axes.Left.SetTicks(
            points.Select((_, i) => (double)i).ToArray(),
            points.Select(p => p.Method == ComparisonMethod.Dense ? "Dense (100%)" : FormattableString.Invariant($"{ComparisonReport.Label(p.Method)} ({p.WeightsRemainingPercent:0.#}%)")).ToArray());
        plot.Axes.Margins(left: 0, right: 0.3);
        plot.Title($"Training cost to reach {report.Point(ComparisonMethod.Imp, deepest)?.WeightsRemainingPercent ?? double.NaN:0.#}% of the weights (IMP round {deepest}), mean over {Seeds(report)}");
        plot.XLabel("Training seconds (evaluation excluded)");
        plot.SavePng(path, Width, Height);
    }
}
