using System.Diagnostics;
using System.Globalization;
using Lottery.Results;

namespace Lottery.Tests.Experiments;

/// <summary>
/// The command-line program's main job, at a tiny size, run as a real process: the summary's rows and columns,
/// resuming after the process is killed, and re-rendering the report without training.
/// </summary>
public sealed class ComparisonCliTests : IDisposable
{
    private const int Epochs = 3;
    private const int Rounds = 2;
    private static readonly int[] Points = [1, 2];
    private static readonly long[] Seeds = [1, 2];
    private const string Name = "tiny";

    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-cli-" + Guid.NewGuid().ToString("N"));

    private static string[] CompareArguments(string output) =>
    [
        "compare", "--seeds", .. Seeds.Select(s => s.ToString(CultureInfo.InvariantCulture)), "--epochs", $"{Epochs}", "--rounds", $"{Rounds}",
        "--points", .. Points.Select(p => p.ToString(CultureInfo.InvariantCulture)), "--recovery-epochs", "1", "--out", output, "--name", Name,
    ];

    [Fact]
    public void The_comparison_writes_one_row_per_method_seed_and_point_resumes_after_a_kill_and_re_renders_the_same_report()
    {
        // Uninterrupted.
        var straight = Path.Combine(root, "straight");
        var (code, output) = Cli(CompareArguments(straight));
        Assert.True(code == 0, output);
        var folder = Path.Combine(straight, Name);
        var rows = CheckSummary(folder);

        // Killed twice (a real process kill, at whatever it is doing), then run again to the end.
        var killed = Path.Combine(root, "killed");
        KillWhenCheckpointAppears(killed, "imp-");
        KillWhenCheckpointAppears(killed, "everyepoch");
        (code, output) = Cli(CompareArguments(killed));
        Assert.True(code == 0, output);
        Assert.Matches(@"28 runs, [1-9]\d* already finished", output);
        Assert.Equal(WithoutSeconds(rows), WithoutSeconds(CheckSummary(Path.Combine(killed, Name))));

        // Re-rendered from the saved runs alone: the same files, byte for byte, and nothing trained.
        string[] files = ["summary.csv", "summary.json", "report.md", "accuracy-vs-weights.png", "accuracy-vs-weights-early-stop.png", "training-cost.png"];
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
        Assert.Contains("IMP, rewind to init", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_that_cannot_reach_a_point_are_a_one_line_error_naming_the_options()
    {
        var (code, output) = Cli("compare", "--epochs", "5", "--points", "3", "7", "--out", root);
        Assert.Equal(2, code);
        Assert.StartsWith("error: --epochs: 5 epochs less 3 recovery epochs leave 2 epochs", output.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        (code, output) = Cli("report", "nothing-here", "--out", root);
        Assert.Equal(2, code);
        Assert.Contains("not a comparison's folder", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Checks the summary's columns and rows against the comparison's settings and returns the rows.</summary>
    private static List<string[]> CheckSummary(string folder)
    {
        var lines = File.ReadAllLines(Path.Combine(folder, "summary.csv"));
        Assert.Equal(string.Join(',', ComparisonReport.CsvColumns), lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(rows, r => Assert.Equal(ComparisonReport.CsvColumns.Count, r.Length));
        string Cell(string[] row, string column) => row[ComparisonReport.CsvColumns.ToList().IndexOf(column)];
        double Number(string[] row, string column) => double.Parse(Cell(row, column), CultureInfo.InvariantCulture);

        // Dense once, IMP once per round (the dense round 0 included), every other method once per point; per seed.
        var oneRun = new[] { "EveryEpochMagnitude", "EveryEpochMagnitudeRewind", "EveryEpochLeastChange", "EveryEpochLeastChangeRewind", "EveryEpochRandom", "ImpRandomReinit" };
        var expected = Seeds.SelectMany(seed =>
            new[] { ("Dense", seed, 0) }
            .Concat(Enumerable.Range(0, Rounds + 1).Select(r => ("Imp", seed, r)))
            .Concat(oneRun.SelectMany(m => Points.Select(p => (m, seed, p)))))
            .Order()
            .ToList();
        var actual = rows.Select(r => (Cell(r, "method"), long.Parse(Cell(r, "seed"), CultureInfo.InvariantCulture), int.Parse(Cell(r, "point"), CultureInfo.InvariantCulture))).Order().ToList();
        Assert.Equal(expected, actual);

        foreach (var row in rows)
        {
            Assert.Equal(Name, Cell(row, "comparison"));
            Assert.InRange(Number(row, "test_accuracy_final"), 0.5, 1.0);
            Assert.InRange(Number(row, "test_accuracy_best_validation"), 0.5, 1.0);
            Assert.True(Number(row, "training_seconds") > 0);
            var method = Cell(row, "method");
            var point = int.Parse(Cell(row, "point"), CultureInfo.InvariantCulture);
            var impPoint = method == "Dense" ? "0" : Cell(row, "point");
            var imp = rows.Single(r => Cell(r, "method") == "Imp" && Cell(r, "seed") == Cell(row, "seed") && Cell(r, "point") == impPoint);

            // Matched points: every method prunes to IMP's weights remaining at the same round.
            Assert.Equal(Number(imp, "weights_remaining_pct"), Number(row, "weights_remaining_pct"), 0.01);
            Assert.Equal(method == "Imp" ? (point + 1) * Epochs : Epochs, int.Parse(Cell(row, "epochs_trained"), CultureInfo.InvariantCulture));
            Assert.InRange(long.Parse(Cell(row, "best_validation_iteration"), CultureInfo.InvariantCulture), 1, Epochs * 200);
            Assert.True(File.Exists(Path.Combine(folder, "..", "runs", Cell(row, "run"), "result.json")), "each row names its run's folder");
        }

        Assert.Equal(100, Number(rows.Single(r => Cell(r, "method") == "Dense" && Cell(r, "seed") == "1"), "weights_remaining_pct"));
        Assert.True(Number(rows.Single(r => Cell(r, "method") == "Imp" && Cell(r, "seed") == "1" && Cell(r, "point") == "2"), "weights_remaining_pct") < 65);
        foreach (var file in new[] { "summary.json", "report.md", "accuracy-vs-weights.png", "accuracy-vs-weights-early-stop.png", "training-cost.png" })
        {
            Assert.True(new FileInfo(Path.Combine(folder, file)).Length > 1000, $"{file} is written");
        }

        Assert.True(File.ReadAllBytes(Path.Combine(folder, "accuracy-vs-weights.png")).AsSpan(1, 3).SequenceEqual("PNG"u8), "the chart is a PNG");
        return rows;
    }

    private static List<string> WithoutSeconds(List<string[]> rows)
    {
        var seconds = ComparisonReport.CsvColumns.ToList().IndexOf("training_seconds");
        return rows.Select(r => string.Join(',', r.Where((_, i) => i != seconds))).ToList();
    }

    private void KillWhenCheckpointAppears(string output, string runPrefix)
    {
        using var process = Start(CompareArguments(output));
        var runs = Path.Combine(output, "runs");
        var clock = Stopwatch.StartNew();
        while (!(Directory.Exists(runs) && Directory.GetDirectories(runs, runPrefix + "*").Any(d => File.Exists(Path.Combine(d, "checkpoint.bin")))))
        {
            if (process.HasExited)
            {
                Assert.Fail($"the comparison ended (exit code {process.ExitCode}) before it could be killed: {process.StandardOutput.ReadToEnd()}{process.StandardError.ReadToEnd()}");
            }

            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "no checkpoint appeared");
            Thread.Sleep(20);
        }

        Thread.Sleep(Random.Shared.Next(0, 150));
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        Assert.False(File.Exists(Path.Combine(output, Name, "summary.csv")), "the process was killed before it finished");
    }

    private static (int Code, string Output) Cli(params string[] arguments)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the command finished within 5 minutes");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lottery.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }
}
