using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;

namespace Lottery.Tests.Scale;

/// <summary>
/// A sweep on a real one-node Slurm cluster: `lottery sweep --submit` submits one job array per stage, each stage after
/// the one before; every array task runs `lottery task` with its SLURM_ARRAY_TASK_ID on the shared results folder; and
/// `lottery report` aggregates the summary, which equals the same experiment run in one local process.
/// </summary>
[SupportedOSPlatform("linux")]
[Collection(ScaleCollection.Name)]
public sealed partial class SlurmSweepTests(SerialRun serial) : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "lottery-slurm-sweep-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_sweep_submitted_as_job_arrays_gives_the_summary_of_one_local_process()
    {
        using var cluster = SlurmCluster.Start(Path.Combine(folder, "cluster"));
        var output = Path.Combine(folder, "results");
        var (code, text) = Lottery(cluster, "sweep", LotteryProcess.Experiment, "--out", output, "--slurm", "--submit", "--runs-per-task", "2", "--time", "00:10:00");
        Assert.True(code == 0, text);

        // Stages of 4, 8 and 8 runs, 2 per task: arrays of 2, 4 and 4 tasks, each stage depending on the one before.
        var jobs = StageLine().Matches(text).Select(m => (Stage: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Job: m.Groups[2].Value, Tasks: int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
        Assert.Equal([(0, 2), (1, 4), (2, 4)], jobs.Select(j => (j.Stage, j.Tasks)));
        var states = cluster.WaitForJobs(jobs.Select(j => j.Job), TimeSpan.FromMinutes(8));
        var expected = jobs.SelectMany(j => Enumerable.Range(0, j.Tasks).Select(t => $"{j.Job}_{t}=COMPLETED")).Order(StringComparer.Ordinal);
        Assert.Equal(expected, states.Select(s => $"{s.Key}={s.Value}").Order(StringComparer.Ordinal));

        // Each task's log names its runs and what it trained.
        var logs = Directory.GetFiles(Path.Combine(output, LotteryProcess.Experiment, "sweep", "slurm", "logs"), "*.out");
        Assert.Equal(10, logs.Length);
        Assert.All(logs, log => Assert.Matches(@"task \d: trained 2, read back 0", File.ReadAllText(log)));

        (code, text) = LotteryProcess.Run("report", LotteryProcess.Experiment, "--out", output);
        Assert.True(code == 0, text);
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
        Assert.All(LotteryProcess.Histories(output), h => Assert.Equal((1, 0, 1, 0), h.Value));
        Assert.Contains(LotteryProcess.Histories(output).Keys, k => k.StartsWith("imp-s1-", StringComparison.Ordinal));
        Assert.Contains("(slurm job ", File.ReadAllText(Directory.GetFiles(Path.Combine(output, "runs"), "history.log", SearchOption.AllDirectories)[0]), StringComparison.Ordinal);

        // Every Slurm task computed with the portable profile, as LibTorch itself reported it.
        var began = LotteryProcess.BeganWith(output);
        Assert.Equal(20, began.Count);
        Assert.All(began, b => Assert.Equal(LotteryProcess.PortableKernels, b));
    }

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs lottery with the cluster's client settings (SLURM_CONF), as a user on its login node would.</summary>
    private static (int Code, string Output) Lottery(SlurmCluster cluster, params string[] arguments) =>
        LotteryProcess.RunToEnd(LotteryProcess.StartInfo(arguments, cluster.Environment), TimeSpan.FromMinutes(2));

    [GeneratedRegex(@"^stage (\d+): job (\d+) \((\d+) tasks\)", RegexOptions.Multiline)]
    private static partial Regex StageLine();
}
