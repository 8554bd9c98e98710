using System.Diagnostics;
using System.Globalization;

namespace Lottery.Tests.Experiments;

/// <summary>
/// A declared experiment with a schedule of its own (own-schedule: SmallMlp's GlobalLateRewind, Global scope,
/// ToEpoch(1) rewinding, start epoch 2, matched to its IMP; IMP's random re-initialisation control; the rewind-once
/// control), run by `lottery run` as a real process: the summary's rows carry its declared settings, a killed run
/// resumes to identical rows, and the report re-renders without training.
/// </summary>
public sealed class RunCliTests : IDisposable
{
    private const int Epochs = 4;
    private const int Rounds = 2;
    private static readonly int[] Points = [1, 2];
    private static readonly long[] Seeds = [1, 2];
    private const string Name = "own-schedule";

    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-cli-" + Guid.NewGuid().ToString("N"));

    private static string[] RunArguments(string output) => ["run", Name, "--out", output];

    [Fact]
    public void A_declared_experiment_runs_with_its_own_schedule_resumes_after_a_kill_and_re_renders_the_same_report()
    {
        // Uninterrupted.
        var straight = Path.Combine(root, "straight");
        var (code, output) = Cli(RunArguments(straight));
        Assert.True(code == 0, output);
        var folder = Path.Combine(straight, Name);
        var rows = CheckSummary(folder);

        // Killed twice (a real process kill, at whatever it is doing), then run again to the end.
        var killed = Path.Combine(root, "killed");
        KillWhenCheckpointAppears(killed, "imp-");
        KillWhenCheckpointAppears(killed, "globallaterewind-");
        (code, output) = Cli(RunArguments(killed));
        Assert.True(code == 0, output);
        Assert.Contains("(saved result)", output, StringComparison.Ordinal);
        Assert.Equal(WithoutSecondsAndRuns(rows), WithoutSecondsAndRuns(CheckSummary(Path.Combine(killed, Name))));

        // Run again: everything is read back, nothing trains.
        (code, output) = Cli(RunArguments(straight));
        Assert.True(code == 0, output);
        Assert.Equal(10 * Seeds.Length, output.Split('\n').Count(l => l.Contains("(saved result)", StringComparison.Ordinal)));

        // Re-rendered from the saved runs alone: the same files, byte for byte, and nothing trained.
        string[] files = ["summary.csv", "summary.json", "comparisons.csv", "report.md", "accuracy-vs-weights.png", "accuracy-vs-weights-early-stop.png", "training-cost.png"];
        var before = files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(folder, f)));
        var results = Directory.GetFiles(Path.Combine(straight, "runs"), "result.json", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        foreach (var file in files)
        {
            File.Delete(Path.Combine(folder, file));
        }

        (code, output) = Cli("report", Name, "--out", straight);
        Assert.True(code == 0, output);
        foreach (var file in files)
        {
            Assert.True(before[file].AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(folder, file))), $"{file} differs after re-rendering");
        }

        Assert.All(results, r => Assert.Equal(r.Value, File.GetLastWriteTimeUtc(r.Key)));
        Assert.Empty(Directory.GetFiles(Path.Combine(straight, "runs"), "checkpoint*", SearchOption.AllDirectories));
        Assert.Contains("GlobalLateRewindRewindOnce", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "run", "own-schedule", "--epochs", "-1" }, "--epochs -1 is not valid: it must be at least 1.")]
    [InlineData(new[] { "run", "own-schedule", "--data", "cifar-10" }, "cifar-10")]
    [InlineData(new[] { "run", "no-such-experiment" }, "No experiment named 'no-such-experiment'. Declared experiments:")]
    [InlineData(new[] { "run", "own-schedule", "--out", "/proc/forbidden" }, "--out: '/proc/forbidden' cannot be written")]
    [InlineData(new[] { "run", "own-schedule", "--epochs", "2" }, "GlobalLateRewind prunes after epochs 2 to 2: 1 pruning events at 0.2, but Imp's round 2 takes 2.")]
    [InlineData(new[] { "report", "nothing-here", "--out", "/tmp" }, "not a finished experiment's folder")]
    public void Wrong_input_is_one_line_naming_the_problem(string[] arguments, string expected)
    {
        var (code, output) = Cli(arguments);
        Assert.Equal(2, code);
        var lines = output.Trim().Split('\n');
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.True(lines.Length <= 2, output);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Checks the summary's columns and rows against the experiment's declarations (written here by hand) and returns the rows.</summary>
    private static List<string[]> CheckSummary(string folder)
    {
        string[] columns =
        [
            "experiment", "arm", "schedule", "criterion", "rewind", "seed", "point", "weights_remaining_pct", "test_accuracy_final",
            "test_accuracy_best_validation", "best_validation_iteration", "epochs_trained", "training_seconds", "run", "scope", "rate", "start_epoch", "end_epoch",
            "training_multiply_adds", "inference_multiply_adds", "mask_overlap_with_matched", "mask_settled_epoch",
        ];
        var lines = File.ReadAllLines(Path.Combine(folder, "summary.csv"));
        Assert.Equal(string.Join(',', columns), lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(rows, r => Assert.Equal(columns.Length, r.Length));
        string Cell(string[] row, string column) => row[Array.IndexOf(columns, column)];
        double Number(string[] row, string column) => double.Parse(Cell(row, column), CultureInfo.InvariantCulture);

        // Dense once, IMP once per round (its dense round 0 included), every other arm once per point; per seed.
        var perPoint = new[] { "ImpRandomReinit", "GlobalLateRewind", "GlobalLateRewindRewindOnce", "GlobalLateRewindRewindOnceToEpoch1" };
        var expected = Seeds.SelectMany(seed =>
            new[] { ("Dense", seed, 0) }
            .Concat(Enumerable.Range(0, Rounds + 1).Select(r => ("Imp", seed, r)))
            .Concat(perPoint.SelectMany(m => Points.Select(p => (m, seed, p)))))
            .Order()
            .ToList();
        var actual = rows.Select(r => (Cell(r, "arm"), long.Parse(Cell(r, "seed"), CultureInfo.InvariantCulture), int.Parse(Cell(r, "point"), CultureInfo.InvariantCulture))).Order().ToList();
        Assert.Equal(expected, actual);

        // Each arm's declared settings, as SmallMlp declares them.
        var declared = new Dictionary<string, string>
        {
            ["Dense"] = "Dense,,None|||||",
            ["Imp"] = "Iterative,Magnitude,ToInit|Layerwise|0.2|||",
            ["ImpRandomReinit"] = "FixedMask,,None|||||",
            ["GlobalLateRewind"] = "EveryEpoch,Magnitude,ToEpoch(1)|Global|0.2|2||",
            ["GlobalLateRewindRewindOnce"] = "FixedMask,,None|||||",
            ["GlobalLateRewindRewindOnceToEpoch1"] = "FixedMask,,None|||||",
        };
        foreach (var row in rows)
        {
            var arm = Cell(row, "arm");
            Assert.Equal(declared[arm], $"{Cell(row, "schedule")},{Cell(row, "criterion")},{Cell(row, "rewind")}|{Cell(row, "scope")}|{Cell(row, "rate")}|{Cell(row, "start_epoch")}|{Cell(row, "end_epoch")}|");
            Assert.Equal(Name, Cell(row, "experiment"));
            Assert.InRange(Number(row, "test_accuracy_final"), 0.5, 1.0);
            Assert.InRange(Number(row, "test_accuracy_best_validation"), 0.5, 1.0);
            Assert.True(Number(row, "training_seconds") > 0);
            var point = int.Parse(Cell(row, "point"), CultureInfo.InvariantCulture);
            var impPoint = arm == "Dense" ? "0" : Cell(row, "point");
            var imp = rows.Single(r => Cell(r, "arm") == "Imp" && Cell(r, "seed") == Cell(row, "seed") && Cell(r, "point") == impPoint);

            // Matched points: every arm is at IMP's weights remaining at the same round (Global scope counts the same totals).
            Assert.Equal(Number(imp, "weights_remaining_pct"), Number(row, "weights_remaining_pct"), 0.05);
            Assert.Equal(arm == "Imp" ? (point + 1) * Epochs : Epochs, int.Parse(Cell(row, "epochs_trained"), CultureInfo.InvariantCulture));
            Assert.True(File.Exists(Path.Combine(folder, "..", "runs", Cell(row, "run"), "result.json")), "each row names its run's folder");
            if (arm.StartsWith("GlobalLateRewindRewindOnce", StringComparison.Ordinal))
            {
                // The same mask as the run it rewinds: exactly the same weights remaining.
                var source = rows.Single(r => Cell(r, "arm") == "GlobalLateRewind" && Cell(r, "seed") == Cell(row, "seed") && Cell(r, "point") == Cell(row, "point"));
                Assert.Equal(Cell(source, "weights_remaining_pct"), Cell(row, "weights_remaining_pct"));
            }
        }

        // SmallMlp: 784x64 at 20% and 64x10 at 10%; after IMP's round 2, 32,113 + 518 of 50,816 weights remain (hand count).
        var impRound2 = rows.Single(r => Cell(r, "arm") == "Imp" && Cell(r, "seed") == "1" && Cell(r, "point") == "2");
        Assert.Equal(100.0 * (32_113 + 518) / 50_816, Number(impRound2, "weights_remaining_pct"), 3);

        // Multiply-adds: one an example per surviving weight; the dense run trains all 50,816 three passes an example each epoch.
        Assert.Equal(32_113 + 518, Number(impRound2, "inference_multiply_adds"));
        var dense = rows.First(r => Cell(r, "arm") == "Dense");
        Assert.Equal(50_816, Number(dense, "inference_multiply_adds"));
        Assert.Equal(0, Number(dense, "training_multiply_adds") % (3 * 50_816 * Epochs));

        // Overlap with IMP's mask: the random re-initialisation trains IMP's very mask, the rewind-once controls their source's.
        Assert.All(rows.Where(r => Cell(r, "arm") is "Imp" or "Dense"), r => Assert.Equal(string.Empty, Cell(r, "mask_overlap_with_matched")));
        Assert.All(rows.Where(r => Cell(r, "arm") == "ImpRandomReinit"), r => Assert.Equal(1, Number(r, "mask_overlap_with_matched")));
        foreach (var row in rows.Where(r => Cell(r, "arm").StartsWith("GlobalLateRewindRewindOnce", StringComparison.Ordinal)))
        {
            var source = rows.Single(r => Cell(r, "arm") == "GlobalLateRewind" && Cell(r, "seed") == Cell(row, "seed") && Cell(r, "point") == Cell(row, "point"));
            Assert.Equal(Cell(source, "mask_overlap_with_matched"), Cell(row, "mask_overlap_with_matched"));
            Assert.InRange(Number(row, "mask_overlap_with_matched"), 0.01, 0.999);
        }
        foreach (var file in new[] { "summary.json", "report.md", "accuracy-vs-weights.png", "accuracy-vs-weights-early-stop.png", "training-cost.png" })
        {
            Assert.True(new FileInfo(Path.Combine(folder, file)).Length > 1000, $"{file} is written");
        }

        Assert.True(File.ReadAllBytes(Path.Combine(folder, "accuracy-vs-weights.png")).AsSpan(1, 3).SequenceEqual("PNG"u8), "the chart is a PNG");
        var report = File.ReadAllText(Path.Combine(folder, "report.md"));
        foreach (var arm in declared.Keys)
        {
            Assert.Contains($"| {arm} |", report, StringComparison.Ordinal);
        }

        CheckComparisons(folder, rows, Cell);
        Assert.Contains("The equivalence margin, declared with the experiment before any run, is ±0.5 points of test accuracy.", report, StringComparison.Ordinal);
        Assert.Contains("## Each arm against Imp, paired by seed, test accuracy at the end of training", report, StringComparison.Ordinal);
        Assert.Contains("\"EquivalenceMargin\": 0.5", File.ReadAllText(Path.Combine(folder, "experiment.json")), StringComparison.Ordinal);
        return rows;
    }

    /// <summary>
    /// comparisons.csv: every arm but Imp at each point and measure, paired with Imp by the two seeds, the differences
    /// computed here from summary.csv's accuracies (a hand subtraction, independent of the statistics code).
    /// </summary>
    private static void CheckComparisons(string folder, List<string[]> rows, Func<string[], string, string> cell)
    {
        var lines = File.ReadAllLines(Path.Combine(folder, "comparisons.csv"));
        var columns = lines[0].Split(',');
        Assert.Equal(
            "experiment,arm,reference,point,weights_remaining_pct,measure,seeds,mean_difference_pts,ci95_low_pts,ci95_high_pts,t,df,p_paired_t,margin_pts,"
            + "tost_p_lower,tost_p_upper,tost_p,ci90_low_pts,ci90_high_pts,verdict",
            lines[0]);
        var comparisons = lines.Skip(1).Select(l => l.Split(',')).ToList();
        string Column(string[] line, string name) => line[Array.IndexOf(columns, name)];
        var arms = new[] { "ImpRandomReinit", "GlobalLateRewind", "GlobalLateRewindRewindOnce", "GlobalLateRewindRewindOnceToEpoch1" };
        Assert.Equal(
            Points.SelectMany(p => arms.SelectMany(a => new[] { $"{a}|{p}|final", $"{a}|{p}|best_validation" })).Order(),
            comparisons.Select(c => $"{Column(c, "arm")}|{Column(c, "point")}|{Column(c, "measure")}").Order());
        foreach (var comparison in comparisons)
        {
            Assert.Equal((Name, "Imp", "2", "1", "0.5"), (Column(comparison, "experiment"), Column(comparison, "reference"), Column(comparison, "seeds"), Column(comparison, "df"), Column(comparison, "margin_pts")));
            var accuracy = Column(comparison, "measure") == "final" ? "test_accuracy_final" : "test_accuracy_best_validation";
            double Accuracy(string arm, long seed) => double.Parse(
                cell(rows.Single(r => cell(r, "arm") == arm && cell(r, "seed") == seed.ToString(CultureInfo.InvariantCulture) && cell(r, "point") == Column(comparison, "point")), accuracy),
                CultureInfo.InvariantCulture);
            var expected = Seeds.Average(s => Accuracy(Column(comparison, "arm"), s) - Accuracy("Imp", s)) * 100;

            // summary.csv rounds accuracies to 4 decimals (0.01 points); comparisons.csv works from the unrounded figures.
            Assert.Equal(expected, double.Parse(Column(comparison, "mean_difference_pts"), CultureInfo.InvariantCulture), tolerance: 0.011);
            Assert.Contains(Column(comparison, "verdict"), new[] { "Equivalent", "EquivalentYetDifferent", "Different", "NotShownEquivalent" });
            var low = double.Parse(Column(comparison, "ci95_low_pts"), CultureInfo.InvariantCulture);
            var high = double.Parse(Column(comparison, "ci95_high_pts"), CultureInfo.InvariantCulture);
            Assert.True(low <= expected + 0.011 && expected - 0.011 <= high, $"the 95% interval [{low}, {high}] holds the mean difference {expected}");
        }
    }

    private static List<string> WithoutSecondsAndRuns(List<string[]> rows) =>
        rows.Select(r => string.Join(',', r.Where((_, i) => i is not 12 and not 13))).ToList();

    private void KillWhenCheckpointAppears(string output, string runPrefix)
    {
        using var process = Start(RunArguments(output));
        var runs = Path.Combine(output, "runs");
        var clock = Stopwatch.StartNew();
        while (!(Directory.Exists(runs) && Directory.GetDirectories(runs, runPrefix + "*").Any(d => File.Exists(Path.Combine(d, "checkpoint.bin")))))
        {
            if (process.HasExited)
            {
                Assert.Fail($"the experiment ended (exit code {process.ExitCode}) before it could be killed: {process.StandardOutput.ReadToEnd()}{process.StandardError.ReadToEnd()}");
            }

            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "no checkpoint appeared");
            Thread.Sleep(20);
        }

        Thread.Sleep(Random.Shared.Next(0, 150));
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        Assert.False(File.Exists(Path.Combine(output, Name, "summary.csv")), "the process was killed before it finished");
    }

    internal static (int Code, string Output) Cli(params string[] arguments) =>
        Scale.LotteryProcess.RunToEnd(Scale.LotteryProcess.StartInfo(arguments), TimeSpan.FromMinutes(5));

    private static Process Start(string[] arguments) =>
        Process.Start(Scale.LotteryProcess.StartInfo(arguments)) ?? throw new InvalidOperationException("dotnet did not start");
}
