using Lottery.Results;
using Lottery.Runs;

namespace Lottery.Reporting;

/// <summary>
/// An experiment's figures as data, built only from what is on disk (<c>experiment.json</c> and each run's
/// <c>result.json</c>), so rendering it again gives the same files without training. The renderers
/// (<see cref="SummaryCsv"/>, <see cref="MarkdownReport"/>, <see cref="SummaryCharts"/>) only read it.
/// </summary>
public sealed partial class ExperimentSummary
{
    private ExperimentSummary(ExperimentRecord record, IReadOnlyList<SummaryRow> rows)
    {
        Record = record;
        Rows = rows;
        var order = record.Arms.Select(a => a.Name).ToList();
        Points = rows
            .GroupBy(r => (r.Arm, r.Point))
            .Select(g => new SummaryPoint(
                g.Key.Arm,
                g.Key.Point,
                g.Count(),
                g.Average(r => r.WeightsRemainingPercent),
                Spread.Of(g.Select(r => r.TestAccuracyFinal).ToList()),
                Spread.Of(g.Select(r => r.TestAccuracyAtBestValidation).ToList()),
                g.Average(r => r.EpochsTrained),
                g.Average(r => r.TrainingSeconds)))
            .OrderBy(p => order.IndexOf(p.Arm))
            .ThenBy(p => p.Point)
            .ToList();
        Comparisons = record.ReferenceArm is { } reference ? ArmComparison.Of(rows, order, reference, record.Points, record.EquivalenceMargin) : [];
    }

    /// <summary>What was run.</summary>
    public ExperimentRecord Record { get; }

    /// <summary>One row per arm, seed and point.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>The rows averaged over seeds.</summary>
    public IReadOnlyList<SummaryPoint> Points { get; }

    /// <summary>Each arm against the reference arm at each point, seed by seed (none when the experiment matched nothing).</summary>
    public IReadOnlyList<ArmComparison> Comparisons { get; }

    /// <summary>The summary of <paramref name="record"/> from its runs' results (every run of the record must be there).</summary>
    /// <param name="record">What was run.</param>
    /// <param name="results">The runs' results, by run id.</param>
    /// <param name="store">The runs' folders, to read the masks the overlap with the reference arm compares (none without).</param>
    public static ExperimentSummary From(ExperimentRecord record, IReadOnlyDictionary<string, RunResult> results, RunStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(results);
        IReadOnlyList<SummaryRow> rows = record.Runs.SelectMany(run => RowsOf(run, results[run.Id])).ToList();
        if (store is not null && record.ReferenceArm is { } matched)
        {
            rows = MaskOverlap.Add(rows, matched, store);
        }

        return new ExperimentSummary(record, rows);
    }

    /// <summary>An arm's figures at a point, or null.</summary>
    public SummaryPoint? Point(string arm, int point) => Points.FirstOrDefault(p => p.Arm == arm && p.Point == point);

    /// <summary>Whether an arm never prunes and trains no given mask (the dense reference).</summary>
    public bool IsDense(string arm) => Rows.Where(r => r.Arm == arm).All(r => r.Schedule == "Dense");

    /// <summary>
    /// Writes <c>summary.json</c>, <c>summary.csv</c>, <c>comparisons.csv</c>, <c>report.md</c>,
    /// <c>accuracy-vs-weights.png</c> (at the end of training), <c>accuracy-vs-weights-early-stop.png</c> and
    /// <c>training-cost.png</c> to <paramref name="folder"/>.
    /// </summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteJson(Path.Combine(folder, "summary.json"), new { experiment = Record, points = Points, comparisons = Comparisons, rows = Rows });
        AtomicFile.WriteText(Path.Combine(folder, "summary.csv"), SummaryCsv.Write(this));
        AtomicFile.WriteText(Path.Combine(folder, "comparisons.csv"), ComparisonsCsv.Write(this));
        AtomicFile.WriteText(Path.Combine(folder, "report.md"), MarkdownReport.Write(this));
        SummaryCharts.AccuracyVersusWeights(this, Path.Combine(folder, "accuracy-vs-weights.png"));
        SummaryCharts.AccuracyVersusWeights(this, Path.Combine(folder, "accuracy-vs-weights-early-stop.png"), earlyStop: true);
        SummaryCharts.TrainingCost(this, Path.Combine(folder, "training-cost.png"));
    }
}
