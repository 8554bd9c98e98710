using System.Text.Json;
using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Statistics;

namespace Lottery.Reporting;

/// <summary>One row of the summary: one arm, seed and point.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Schedule">Dense, FixedMask (a control training a given mask), Iterative, EveryEpoch, Gradual or OneShot.</param>
/// <param name="Criterion">The criterion, or empty when nothing is pruned.</param>
/// <param name="Rewind">The rewinding, for example <c>ToInit</c> or <c>ToEpoch(1)</c>.</param>
/// <param name="Seed">The training seed.</param>
/// <param name="Point">The IMP round for IMP's rows, the matched round for arms matched to it, 0 for a single run.</param>
/// <param name="WeightsRemainingPercent">Prunable weights remaining, in percent.</param>
/// <param name="TestAccuracyFinal">Test accuracy at the end of training.</param>
/// <param name="TestAccuracyAtBestValidation">Test accuracy at the epoch of lowest validation loss (early stopping).</param>
/// <param name="BestValidationIteration">The iteration of that epoch, counted within the round.</param>
/// <param name="EpochsTrained">Epochs trained to reach this point (all earlier IMP rounds included).</param>
/// <param name="TrainingSeconds">Seconds of training to reach this point (evaluation excluded).</param>
/// <param name="Run">The run's folder under <c>runs/</c>.</param>
/// <param name="Scope">Layerwise or Global, empty when nothing is pruned.</param>
/// <param name="Rate">The rate per pruning event, or null when nothing is pruned.</param>
/// <param name="StartEpoch">The method's start epoch, or null.</param>
/// <param name="EndEpoch">The method's end epoch, or null.</param>
public sealed record SummaryRow(
    string Arm,
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
    string Run,
    string Scope,
    double? Rate,
    int? StartEpoch,
    int? EndEpoch)
{
    /// <summary>The run's round this row reports (its files are <c>rounds/round-NN.*</c> in the run's folder).</summary>
    public int Round { get; init; }

    /// <summary>
    /// Multiply-adds of training to reach this point (all earlier IMP rounds included), counting only the weights that
    /// survived in each epoch (<see cref="Measures.MultiplyAdds"/>); null for results measured before Lottery counted them.
    /// </summary>
    public long? TrainingMultiplyAdds { get; init; }

    /// <summary>Multiply-adds of one example's forward pass with this point's surviving weights; null when not measured.</summary>
    public long? InferenceMultiplyAdds { get; init; }

    /// <summary>
    /// For an arm other than the matched one (IMP), the Jaccard overlap of its mask with the matched arm's at the same
    /// point and seed (entries kept by both over entries kept by either); null for the matched arm, dense rows, an
    /// experiment matched to no arm, or runs without their pruned-model files.
    /// </summary>
    public double? OverlapWithMatched { get; init; }

    /// <summary>
    /// When the mask settled in this row's round: the first epoch after which Early-Bird's mask distance had stayed below
    /// 0.1 for 5 epochs in a row (the paper's test, <see cref="Schedules.EarlyBirdStop"/>); null when it never did, or was not measured.
    /// </summary>
    public int? MaskSettledEpoch { get; init; }
}

/// <summary>One arm at one point, over the seeds.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Point">The point (see <see cref="SummaryRow.Point"/>).</param>
/// <param name="Seeds">How many seeds.</param>
/// <param name="WeightsRemainingPercent">Mean weights remaining, in percent.</param>
/// <param name="Final">Test accuracy at the end: mean, standard deviation, minimum, maximum.</param>
/// <param name="AtBestValidation">Test accuracy at early stopping: the same four.</param>
/// <param name="EpochsTrained">Mean epochs trained to reach the point.</param>
/// <param name="TrainingSeconds">Mean seconds trained to reach the point.</param>
public sealed record SummaryPoint(string Arm, int Point, int Seeds, double WeightsRemainingPercent, Spread Final, Spread AtBestValidation, double EpochsTrained, double TrainingSeconds);

/// <summary>Mean, sample standard deviation (0 for one value), minimum and maximum, and the mean's 95% interval.</summary>
/// <param name="Mean">The mean.</param>
/// <param name="StandardDeviation">The sample standard deviation.</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
public readonly record struct Spread(double Mean, double StandardDeviation, double Min, double Max)
{
    /// <summary>
    /// The mean's 95% interval from Student's t; none (<see cref="MeanInterval.HasInterval"/> false) for one value, or
    /// when a value is missing (NaN: a test accuracy not evaluated at early stopping).
    /// </summary>
    public MeanInterval Interval { get; init; }

    /// <summary>The spread of <paramref name="values"/>.</summary>
    public static Spread Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var mean = values.Average();
        var deviation = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new Spread(mean, deviation, values.Min(), values.Max()) { Interval = values.All(double.IsFinite) ? MeanInterval.Of(values) : default };
    }
}

/// <summary>
/// An experiment's figures as data, built only from what is on disk (<c>experiment.json</c> and each run's
/// <c>result.json</c>), so rendering it again gives the same files without training. The renderers
/// (<see cref="SummaryCsv"/>, <see cref="MarkdownReport"/>, <see cref="SummaryCharts"/>) only read it.
/// </summary>
public sealed class ExperimentSummary
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
        Comparisons = record.MatchedArm is { } reference ? ArmComparison.Of(rows, order, reference, record.Points, record.EquivalenceMargin) : [];
    }

    /// <summary>What was run.</summary>
    public ExperimentRecord Record { get; }

    /// <summary>One row per arm, seed and point.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>The rows averaged over seeds.</summary>
    public IReadOnlyList<SummaryPoint> Points { get; }

    /// <summary>Each arm against the matched arm at each point, seed by seed (none when the experiment matched nothing).</summary>
    public IReadOnlyList<ArmComparison> Comparisons { get; }

    /// <summary>Reads an experiment's record and its runs' results.</summary>
    /// <param name="folder">The experiment's folder (holding <c>experiment.json</c>).</param>
    /// <param name="runsRoot">The folder of the runs (by default <c>runs/</c> beside the experiment's folder).</param>
    /// <exception cref="FileNotFoundException">The folder holds no experiment.</exception>
    /// <exception cref="InvalidOperationException">A run has not finished; the message says how to finish it.</exception>
    public static ExperimentSummary Load(string folder, string? runsRoot = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var path = Path.Combine(folder, ExperimentRecord.FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{folder}' holds no {ExperimentRecord.FileName}: it is not a finished experiment's folder. Run `lottery run <experiment>` first (it writes the file when every run has finished), or name a folder under the results folder.", path);
        }

        ExperimentRecord record;
        try
        {
            record = JsonSerializer.Deserialize<ExperimentRecord>(File.ReadAllText(path), AtomicFile.Json) ?? throw new InvalidDataException("it is empty");
        }
        catch (Exception error) when (error is JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"'{path}' cannot be read ({error.Message}).", error);
        }

        var store = new RunStore(runsRoot ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))!, "runs"));
        var results = new Dictionary<string, RunResult>();
        foreach (var run in record.Runs)
        {
            if (store.TryLoad(run.Id, record.Name) is { } result)
            {
                results[run.Id] = result;
            }
        }

        var unfinished = record.Runs.Count(r => !results.ContainsKey(r.Id));
        if (unfinished > 0)
        {
            throw new InvalidOperationException($"{unfinished} of the {record.Runs.Count} runs of experiment '{record.Name}' are missing from {store.Root}. Run `lottery run {record.Name}` again: it trains them.");
        }

        return From(record, results, store);
    }

    /// <summary>The summary of <paramref name="record"/> from its runs' results (every run of the record must be there).</summary>
    /// <param name="record">What was run.</param>
    /// <param name="results">The runs' results, by run id.</param>
    /// <param name="store">The runs' folders, to read the masks the overlap with the matched arm compares (none without).</param>
    public static ExperimentSummary From(ExperimentRecord record, IReadOnlyDictionary<string, RunResult> results, RunStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(results);
        IReadOnlyList<SummaryRow> rows = record.Runs.SelectMany(run => RowsOf(run, results[run.Id])).ToList();
        if (store is not null && record.MatchedArm is { } matched)
        {
            rows = MaskOverlap.Add(rows, matched, store);
        }

        return new ExperimentSummary(record, rows);
    }

    /// <summary>
    /// The iteration from which <paramref name="round"/>'s mask was final when its run's schedule changes the mask at a
    /// constant density (DynamicSparse: its last update, from the round's epochs and their batches); 0 otherwise.
    /// </summary>
    private static long FinalMaskFrom(RecordedRun run, Training.RoundResult round) =>
        !run.TrainsGivenMask && run.Method.Schedule == ScheduleKind.DynamicSparse && round.Epochs.Count > 0
            ? ((DynamicSparseSchedule)run.Method.ToSettings().Schedule!).FinalMaskFrom(round.Epochs.Count, round.Epochs[0].Iteration)
            : 0;

    /// <summary>The rows one run contributes: one per round for an IMP run, one for any other run.</summary>
    public static IEnumerable<SummaryRow> RowsOf(RecordedRun run, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        var method = run.Method;
        var perRound = method.Schedule == ScheduleKind.Iterative && !run.TrainsGivenMask;
        var prunes = method.Schedule is not null;
        var schedule = run.TrainsGivenMask ? "FixedMask" : method.Schedule?.ToString() ?? "Dense";
        var epochs = 0;
        double seconds = 0;
        long? multiplyAdds = 0;
        foreach (var round in result.Rounds)
        {
            epochs += round.Epochs.Count;
            seconds += round.TrainingSeconds;
            multiplyAdds = multiplyAdds + RunResult.Sum(round.Epochs.Select(e => e.TrainingMultiplyAdds));
            if (perRound || round == result.Final)
            {
                // Recomputed, so that runs saved before the early stop was restricted to the final mask report it right.
                var earlyStop = Training.RoundResult.EarlyStop(round.Epochs, round.WeightsRemaining, round.FinalTest, FinalMaskFrom(run, round));
                yield return new SummaryRow(
                    run.Arm,
                    schedule,
                    prunes ? method.CriterionDisplayName : string.Empty,
                    method.RewindValue.ToString(),
                    run.Seed,
                    perRound ? round.Round : run.Point,
                    round.WeightsRemaining * 100,
                    round.FinalTest.Accuracy,
                    earlyStop.TestAccuracy,
                    earlyStop.Iteration,
                    epochs,
                    seconds,
                    run.Id,
                    prunes ? method.Scope.ToString() : string.Empty,
                    prunes ? method.Rate : null,
                    prunes ? method.StartEpoch : null,
                    prunes ? method.EndEpoch : null)
                {
                    Round = round.Round,
                    TrainingMultiplyAdds = multiplyAdds,
                    InferenceMultiplyAdds = round.InferenceMultiplyAdds,
                    MaskSettledEpoch = SettledEpoch(round),
                };
            }
        }
    }

    /// <summary>The first epoch of <paramref name="round"/> at which Early-Bird's test (0.1, 5 epochs) says its drawn mask had settled; null when never.</summary>
    public static int? SettledEpoch(Training.RoundResult round)
    {
        ArgumentNullException.ThrowIfNull(round);
        var test = new Schedules.EarlyBirdStop();
        var distances = new List<double?>();
        foreach (var epoch in round.Epochs)
        {
            distances.Add(epoch.MaskDistance);
            if (test.Stops(distances))
            {
                return epoch.Epoch;
            }
        }

        return null;
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
