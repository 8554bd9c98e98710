using System.Diagnostics;
using System.Text.Json;
using Lottery.Results;

namespace Lottery.Tests.Scale;

/// <summary>The tests that share the serial run of the small experiment; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ScaleCollection : ICollectionFixture<SerialRun>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "scale: workers on one results folder";
}

/// <summary>
/// Many workers on one results folder, as real processes: every run is trained exactly once (its history has one
/// finish), whatever starts, stops or kills them, and the summary equals the serial run's.
/// </summary>
[Collection(ScaleCollection.Name)]
public sealed class WorkerTests(SerialRun serial) : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-workers-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Two_runs_started_at_once_on_one_folder_with_two_workers_each_train_every_run_once()
    {
        var output = Path.Combine(root, "shared");
        var first = LotteryProcess.Start("run", LotteryProcess.Experiment, "--out", output, "--workers", "2");
        var second = LotteryProcess.Start("run", LotteryProcess.Experiment, "--out", output, "--workers", "2");
        foreach (var process in new[] { first, second })
        {
            Assert.True(LotteryProcess.WaitFor(process, TimeSpan.FromMinutes(5)), "the run finished within 5 minutes");
            Assert.True(process.ExitCode == 0, LotteryProcess.Output(process));
            Assert.Contains("2 workers, 1 thread each", LotteryProcess.Output(process), StringComparison.Ordinal);
        }

        var histories = LotteryProcess.Histories(output);
        Assert.Equal(20, histories.Count);
        Assert.All(histories, h => Assert.Equal((1, 0, 1, 0), h.Value));

        // Both processes saw every run: trained by one of the four workers, or read back.
        var lines = LotteryProcess.Output(first).Split('\n').Concat(LotteryProcess.Output(second).Split('\n')).Where(l => l.StartsWith('[')).ToList();
        Assert.Equal(40, lines.Count);
        Assert.Equal(20, lines.Count(l => !l.Contains("(saved result)", StringComparison.Ordinal)));
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
    }

    [Fact]
    public void Four_workers_each_killed_twice_at_random_moments_train_every_run_once_to_the_serial_figures()
    {
        var output = Path.Combine(root, "killed");
        string[] arguments = ["run", LotteryProcess.Experiment, "--out", output, "--workers", "1"];
        var random = new Random(20261125);
        var workers = Enumerable.Range(0, 4).Select(_ => LotteryProcess.Start(arguments)).ToArray();
        var kills = new int[workers.Length];
        var clock = Stopwatch.StartNew();
        while (kills.Any(k => k < 2))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(4), "the kills were done within 4 minutes");
            Thread.Sleep(random.Next(300, 2500));
            var victim = random.Next(workers.Length);
            if (kills[victim] == 2)
            {
                continue;
            }

            LotteryProcess.Kill(workers[victim]);
            kills[victim]++;
            workers[victim] = LotteryProcess.Start(arguments);
        }

        foreach (var worker in workers)
        {
            Assert.True(LotteryProcess.WaitFor(worker, TimeSpan.FromMinutes(5)), "the worker finished within 5 minutes");
            Assert.True(worker.ExitCode == 0, LotteryProcess.Output(worker));
        }

        var histories = LotteryProcess.Histories(output);
        Assert.Equal(20, histories.Count);
        Assert.All(histories, h => Assert.Equal(1, h.Value.Finished));
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
        Assert.Empty(Directory.GetFiles(Path.Combine(output, "runs"), "checkpoint*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(Path.Combine(output, "runs"), "claim-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_stale_claim_of_a_worker_on_another_machine_is_taken_over_after_the_stated_time_and_the_run_resumes_to_the_same_figures()
    {
        var output = Path.Combine(root, "stale");
        string[] arguments = ["run", LotteryProcess.Experiment, "--out", output, "--workers", "1", "--stale-after", "4"];

        // A worker killed in the middle of IMP, as if on another machine: its claim names a host that is not this one,
        // so only its age can tell that it is stale.
        var worker = LotteryProcess.Start(arguments);
        var imp = WaitForCheckpoint(output, "imp-", worker);
        LotteryProcess.Kill(worker);
        var claim = Directory.GetFiles(imp, "claim-*.json").Single();
        var holder = JsonSerializer.Deserialize<ClaimHolder>(File.ReadAllText(claim))! with { Host = "another-machine", Owner = "another-machine:4242" };
        File.WriteAllText(claim, JsonSerializer.Serialize(holder));
        var left = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(claim, left);

        var (code, text) = LotteryProcess.Run(arguments);
        Assert.True(code == 0, text);
        var history = File.ReadAllLines(Path.Combine(imp, "history.log"));
        var takeover = Assert.Single(history, l => l.Contains("took over the claim of another-machine:4242", StringComparison.Ordinal));
        var taken = DateTime.Parse(takeover[..24], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.True(taken - left >= TimeSpan.FromSeconds(3.9), $"taken over {(taken - left).TotalSeconds:0.0} s after it was left, not after the stated 4 s");
        Assert.Contains(history, l => l.Contains("resumed from checkpoint", StringComparison.Ordinal));
        Assert.All(LotteryProcess.Histories(output), h => Assert.Equal(1, h.Value.Finished));
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
    }

    [Fact]
    public void A_run_whose_worker_was_killed_after_saving_its_result_and_before_recording_it_is_settled_once_its_claim_is_stale()
    {
        // The serial results, as a worker killed between writing result.json and the finish would leave one run: no
        // finish in its history, its claim and a checkpoint still there. Another run's claim is still in force.
        var output = Path.Combine(root, "settle");
        CopyFolder(serial.Folder, output);
        var runs = Directory.GetDirectories(Path.Combine(output, "runs")).Order(StringComparer.Ordinal).ToList();
        var killed = runs.First(d => Path.GetFileName(d).StartsWith("imp-", StringComparison.Ordinal));
        var live = runs.First(d => Path.GetFileName(d).StartsWith("imprandomreinit-", StringComparison.Ordinal));
        var history = Path.Combine(killed, "history.log");
        File.WriteAllLines(history, File.ReadAllLines(history).Where(l => !l.EndsWith(": finished", StringComparison.Ordinal)));
        File.WriteAllBytes(Path.Combine(killed, "checkpoint.bin"), [1, 2, 3]);
        WriteClaim(killed, "another-machine:4242", DateTime.UtcNow - TimeSpan.FromHours(1));
        var liveHistory = File.ReadAllLines(Path.Combine(live, "history.log"));
        var liveClaim = WriteClaim(live, "another-machine:5151", DateTime.UtcNow);

        var (code, text) = LotteryProcess.Run("run", LotteryProcess.Experiment, "--out", output, "--workers", "1");
        Assert.True(code == 0, text);
        Assert.Equal(20, text.Split('\n').Count(l => l.StartsWith('[') && l.Contains("(saved result)", StringComparison.Ordinal)));

        var settled = File.ReadAllLines(history);
        Assert.Single(settled, l => l.Contains("took over the claim of another-machine:4242", StringComparison.Ordinal));
        Assert.Single(settled, l => l.Contains("recorded for another-machine:4242, which stopped after saving the result: finished", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(killed, "claim-*"));
        Assert.Empty(Directory.GetFiles(killed, "checkpoint*"));

        // The live worker's claim and history are left to it.
        Assert.True(File.Exists(liveClaim), "the claim in force is kept");
        Assert.Equal(liveHistory, File.ReadAllLines(Path.Combine(live, "history.log")));
        Assert.All(LotteryProcess.Histories(output), h => Assert.Equal(1, h.Value.Finished));
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
    }

    private static string WriteClaim(string folder, string owner, DateTime renewed)
    {
        var path = Path.Combine(folder, "claim-000001.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new ClaimHolder(owner, Guid.NewGuid().ToString("N"), renewed, "another-machine", 4242)));
        File.SetLastWriteTimeUtc(path, renewed);
        return path;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Waits until a run whose folder starts with <paramref name="prefix"/> has a checkpoint, and returns its folder.</summary>
    internal static string WaitForCheckpoint(string output, string prefix, Process process)
    {
        var runs = Path.Combine(output, "runs");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = Directory.Exists(runs)
                ? Directory.GetDirectories(runs, prefix + "*").FirstOrDefault(d => File.Exists(Path.Combine(d, "checkpoint.bin")) && !File.Exists(Path.Combine(d, "result.json")))
                : null;
            if (found is not null)
            {
                return found;
            }

            Assert.False(process.HasExited, $"the run ended before a checkpoint of {prefix}* appeared: {LotteryProcess.Output(process)}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"no checkpoint of {prefix}* appeared");
            Thread.Sleep(10);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
