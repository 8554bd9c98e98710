using System.Globalization;
using System.Text;
using System.Text.Json;
using Lottery.Experiments;
using Lottery.Runs;

namespace Lottery.Results;

/// <summary>One row of <c>summary.csv</c>: one method, seed and pruning point.</summary>
/// <param name="Method">The method.</param>
/// <param name="Schedule">Dense, Iterative, EveryEpoch, FixedMask, Gradual or OneShot.</param>
/// <param name="Criterion">Magnitude, LeastChange, MagnitudeIncrease, Random, or empty.</param>
/// <param name="Rewind">None or ToInit.</param>
/// <param name="Seed">The training seed.</param>
/// <param name="Point">The pruning point: the IMP round for IMP, the matched IMP round for the others, 0 for dense.</param>
/// <param name="WeightsRemainingPercent">Prunable weights remaining, in percent.</param>
/// <param name="TestAccuracyFinal">Test accuracy at the end of training.</param>
/// <param name="TestAccuracyAtBestValidation">Test accuracy at the epoch of lowest validation loss (early stopping).</param>
/// <param name="BestValidationIteration">The iteration of that epoch, counted within the round.</param>
/// <param name="EpochsTrained">Epochs trained to reach this point (all earlier IMP rounds included).</param>
/// <param name="TrainingSeconds">Seconds of training to reach this point (evaluation excluded).</param>
/// <param name="Run">The run's folder under <c>runs/</c>.</param>
public sealed record SummaryRow(
    ComparisonMethod Method,
    string Schedule,
    string Criterion,
    string Rewind,
    long Seed,
    int Point,
    double WeightsRemainingPercent,
    double TestAccuracyFinal,
    double TestAccuracyAtBestValidation,
    long BestValidationIteration,
    int EpochsTrained,
    double TrainingSeconds,
    string Run);

/// <summary>One method at one pruning point, over the seeds.</summary>
/// <param name="Method">The method.</param>
/// <param name="Point">The pruning point (see <see cref="SummaryRow.Point"/>).</param>
/// <param name="Seeds">How many seeds.</param>
/// <param name="WeightsRemainingPercent">Mean weights remaining, in percent.</param>
/// <param name="Final">Test accuracy at the end: mean, standard deviation, minimum, maximum.</param>
/// <param name="AtBestValidation">Test accuracy at early stopping: the same four.</param>
/// <param name="EpochsTrained">Mean epochs trained to reach the point.</param>
/// <param name="TrainingSeconds">Mean seconds trained to reach the point.</param>
public sealed record SummaryPoint(ComparisonMethod Method, int Point, int Seeds, double WeightsRemainingPercent, Spread Final, Spread AtBestValidation, double EpochsTrained, double TrainingSeconds);

/// <summary>Mean, sample standard deviation (0 for one value), minimum and maximum.</summary>
public readonly record struct Spread(double Mean, double StandardDeviation, double Min, double Max)
{
    /// <summary>The spread of <paramref name="values"/>.</summary>
    public static Spread Of(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        var deviation = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new Spread(mean, deviation, values.Min(), values.Max());
    }
}

/// <summary>A table of the report, for the console and for <c>report.md</c>.</summary>
/// <param name="Title">What it shows.</param>
/// <param name="Headers">Column headers.</param>
/// <param name="Rows">Cells, row by row.</param>
public sealed record ReportTable(string Title, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>
/// The report of a comparison, built only from what is on disk (<c>comparison.json</c> and each run's
/// <c>result.json</c>), so that rendering it again gives the same files without training.
/// </summary>
public sealed class ComparisonReport
{
    /// <summary>The CSV columns, in order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "comparison", "method", "schedule", "criterion", "rewind", "seed", "point", "weights_remaining_pct",
        "test_accuracy_final", "test_accuracy_best_validation", "best_validation_iteration", "epochs_trained", "training_seconds", "run",
    ];

    private ComparisonReport(ComparisonRecord record, IReadOnlyList<SummaryRow> rows)
    {
        Record = record;
        Rows = rows;
        Points = rows
            .GroupBy(r => (r.Method, r.Point))
            .Select(g => new SummaryPoint(
                g.Key.Method,
                g.Key.Point,
                g.Count(),
                g.Average(r => r.WeightsRemainingPercent),
                Spread.Of(g.Select(r => r.TestAccuracyFinal).ToList()),
                Spread.Of(g.Select(r => r.TestAccuracyAtBestValidation).ToList()),
                g.Average(r => r.EpochsTrained),
                g.Average(r => r.TrainingSeconds)))
            .OrderBy(p => record.Methods.ToList().IndexOf(p.Method))
            .ThenBy(p => p.Point)
            .ToList();
    }

    /// <summary>What was compared.</summary>
    public ComparisonRecord Record { get; }

    /// <summary>One row per method, seed and pruning point.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>The rows averaged over seeds.</summary>
    public IReadOnlyList<SummaryPoint> Points { get; }

    /// <summary>Reads a comparison's record and its runs' results.</summary>
    /// <param name="folder">The comparison's folder (holding <c>comparison.json</c>).</param>
    /// <param name="runsRoot">The folder of the runs (by default <c>runs/</c> beside the comparison's folder).</param>
    /// <exception cref="FileNotFoundException">The folder holds no comparison.</exception>
    /// <exception cref="InvalidOperationException">A run has not finished; the message says how to finish it.</exception>
    public static ComparisonReport Load(string folder, string? runsRoot = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var path = Path.Combine(folder, ComparisonRecord.FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{folder}' holds no {ComparisonRecord.FileName}: it is not a comparison's folder. Run `lottery compare` first, or name a folder under the results folder.", path);
        }

        ComparisonRecord record;
        try
        {
            record = JsonSerializer.Deserialize<ComparisonRecord>(File.ReadAllText(path), AtomicFile.Json) ?? throw new InvalidDataException("it is empty");
        }
        catch (Exception error) when (error is JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"'{path}' cannot be read ({error.Message}).", error);
        }

        var store = new RunStore(runsRoot ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))!, "runs"));
        var rows = new List<SummaryRow>();
        var unfinished = 0;
        foreach (var run in record.Runs)
        {
            if (store.TryLoad(run.Id) is not { } result)
            {
                unfinished++;
                continue;
            }

            rows.AddRange(RowsOf(run, result));
        }

        if (unfinished > 0)
        {
            throw new InvalidOperationException($"{unfinished} of the {record.Runs.Count} runs of comparison '{record.Name}' have not finished (in {store.Root}). Run the same `lottery compare` command again: it resumes them.");
        }

        return new ComparisonReport(record, rows);
    }

    /// <summary>The rows one run contributes: one per IMP round, one for any other run.</summary>
    public static IEnumerable<SummaryRow> RowsOf(RecordedRun run, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        var epochs = 0;
        double seconds = 0;
        foreach (var round in result.Rounds)
        {
            epochs += round.Epochs.Count;
            seconds += round.TrainingSeconds;
            if (run.Method == ComparisonMethod.Imp || round == result.Final)
            {
                yield return new SummaryRow(
                    run.Method,
                    run.Schedule,
                    run.Criterion,
                    run.Rewind,
                    run.Seed,
                    run.Method == ComparisonMethod.Imp ? round.Round : run.MatchedRound,
                    round.WeightsRemaining * 100,
                    round.FinalTest.Accuracy,
                    round.TestAccuracyAtBestValidation,
                    round.BestValidationLossIteration,
                    epochs,
                    seconds,
                    run.Id);
            }
        }
    }

    /// <summary>
    /// Writes <c>summary.json</c>, <c>summary.csv</c>, <c>report.md</c>, <c>accuracy-vs-weights.png</c> (at the end
    /// of training), <c>accuracy-vs-weights-early-stop.png</c> and <c>training-cost.png</c> to <paramref name="folder"/>.
    /// </summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteJson(Path.Combine(folder, "summary.json"), new { comparison = Record, points = Points, rows = Rows });
        AtomicFile.WriteText(Path.Combine(folder, "summary.csv"), Csv());
        AtomicFile.WriteText(Path.Combine(folder, "report.md"), Markdown());
        ComparisonCharts.AccuracyVersusWeights(this, Path.Combine(folder, "accuracy-vs-weights.png"));
        ComparisonCharts.AccuracyVersusWeights(this, Path.Combine(folder, "accuracy-vs-weights-early-stop.png"), earlyStop: true);
        ComparisonCharts.TrainingCost(this, Path.Combine(folder, "training-cost.png"));
    }

    /// <summary>The rows as CSV, with the header <see cref="CsvColumns"/>.</summary>
    public string Csv()
    {
        var csv = new StringBuilder(string.Join(',', CsvColumns)).Append('\n');
        foreach (var r in Rows)
        {
            csv.Append(string.Join(',',
                Record.Name, r.Method, r.Schedule, r.Criterion, r.Rewind, Invariant(r.Seed), Invariant(r.Point),
                r.WeightsRemainingPercent.ToString("0.####", CultureInfo.InvariantCulture),
                r.TestAccuracyFinal.ToString("0.####", CultureInfo.InvariantCulture),
                r.TestAccuracyAtBestValidation.ToString("0.####", CultureInfo.InvariantCulture),
                Invariant(r.BestValidationIteration), Invariant(r.EpochsTrained),
                r.TrainingSeconds.ToString("0.##", CultureInfo.InvariantCulture), r.Run)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>The report's tables: accuracy at the matched points, IMP round by round, and training cost.</summary>
    public IReadOnlyList<ReportTable> Tables()
    {
        var tables = new List<ReportTable>();
        var matched = Record.MatchedRounds.OrderBy(r => r).ToList();
        var dense = Point(ComparisonMethod.Dense, 0);
        var headers = new List<string> { "method" };
        headers.AddRange(matched.Select(r => $"{PointPercent(r):0.#}% (IMP round {r})"));
        var rows = new List<IReadOnlyList<string>>();
        if (dense is not null)
        {
            rows.Add([Label(ComparisonMethod.Dense), .. matched.Select(_ => $"{Accuracy(dense.Final)} (dense)")]);
        }

        foreach (var method in Record.Methods.Where(m => m != ComparisonMethod.Dense))
        {
            rows.Add([Label(method), .. matched.Select(r => Point(method, r) is { } p ? $"{Accuracy(p.Final)} / {Accuracy(p.AtBestValidation)}" : "-")]);
        }

        tables.Add(new ReportTable(
            $"Test accuracy at matched weights remaining, mean ± sd over {(Record.Seeds.Count == 1 ? "1 seed" : $"{Record.Seeds.Count} seeds")}: at the end / at early stopping (lowest validation loss)",
            headers,
            rows));

        if (Record.Methods.Contains(ComparisonMethod.Imp))
        {
            var impRows = Points.Where(p => p.Method == ComparisonMethod.Imp).Select(p => (IReadOnlyList<string>)
            [
                Invariant(p.Point),
                $"{p.WeightsRemainingPercent:0.0}%",
                Accuracy(p.Final),
                Accuracy(p.AtBestValidation),
                Point(ComparisonMethod.ImpRandomReinit, p.Point) is { } reinit ? Accuracy(reinit.Final) : "-",
                $"{p.EpochsTrained:0}",
                $"{p.TrainingSeconds:0.0}",
            ]).ToList();
            tables.Add(new ReportTable(
                "IMP (rewind to init), round by round, and the random re-initialisation control on the same masks",
                ["round", "weights remaining", "test accuracy (end)", "test accuracy (early stop)", "random re-init (end)", "epochs", "seconds"],
                impRows));
        }

        var deepest = matched.Max();
        var cost = Record.Methods.Select(m => Point(m, m == ComparisonMethod.Dense ? 0 : deepest)).OfType<SummaryPoint>().Select(p => (IReadOnlyList<string>)
        [
            Label(p.Method),
            $"{p.WeightsRemainingPercent:0.0}%",
            Accuracy(p.Final),
            $"{p.EpochsTrained:0}",
            $"{p.TrainingSeconds:0.0}",
            dense is null ? "-" : $"{p.EpochsTrained / dense.EpochsTrained:0.0}x",
        ]).ToList();
        tables.Add(new ReportTable(
            $"Training cost to reach the smallest matched point (IMP round {deepest}); a re-initialised control also needs the IMP run that found its mask",
            ["method", "weights remaining", "test accuracy (end)", "epochs", "seconds", "epochs vs dense"],
            cost));
        return tables;
    }

    /// <summary>The report as Markdown: what was run, then the tables.</summary>
    public string Markdown()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {Record.Name}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{Record.Model} on {Record.DataSet}; {Record.Training.Optimizer} lr {Record.Training.LearningRate}, batch {Record.Training.BatchSize}, {Record.Training.Epochs} epochs per training; ");
        text.Append(CultureInfo.InvariantCulture, $"seeds {string.Join(" ", Record.Seeds)}; rate {Record.Rate * 100:0.#}% per pruning event; IMP {Record.ImpRounds} rounds; one-run methods prune after epochs 1 to {Record.Training.Epochs - Record.RecoveryEpochs}.\n");
        foreach (var table in Tables())
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {table.Title}\n\n");
            text.Append("| ").Append(string.Join(" | ", table.Headers)).Append(" |\n");
            text.Append('|').Append(string.Join('|', table.Headers.Select(_ => "---"))).Append("|\n");
            foreach (var row in table.Rows)
            {
                text.Append("| ").Append(string.Join(" | ", row)).Append(" |\n");
            }
        }

        return text.ToString();
    }

    /// <summary>A method's name for people.</summary>
    public static string Label(ComparisonMethod method) => method switch
    {
        ComparisonMethod.Dense => "Dense",
        ComparisonMethod.Imp => "IMP, rewind to init",
        ComparisonMethod.ImpRandomReinit => "IMP mask, random re-init",
        ComparisonMethod.EveryEpochMagnitude => "EveryEpoch Magnitude",
        ComparisonMethod.EveryEpochMagnitudeRewind => "EveryEpoch Magnitude, rewind",
        ComparisonMethod.EveryEpochLeastChange => "EveryEpoch LeastChange",
        ComparisonMethod.EveryEpochLeastChangeRewind => "EveryEpoch LeastChange, rewind",
        ComparisonMethod.EveryEpochRandom => "EveryEpoch Random",
        ComparisonMethod.EveryEpochMagnitudeIncrease => "EveryEpoch MagnitudeIncrease",
        ComparisonMethod.Gradual => "Gradual (cubic)",
        ComparisonMethod.OneShot => "OneShot + fine-tune",
        _ => method.ToString(),
    };

    /// <summary>The method's figures at a point, or null.</summary>
    public SummaryPoint? Point(ComparisonMethod method, int point) => Points.FirstOrDefault(p => p.Method == method && p.Point == point);

    private double PointPercent(int round) =>
        Points.FirstOrDefault(p => p.Point == round && p.Method != ComparisonMethod.Dense)?.WeightsRemainingPercent ?? double.NaN;

    private static string Accuracy(Spread spread) => $"{spread.Mean * 100:0.00} ± {spread.StandardDeviation * 100:0.00}";

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
