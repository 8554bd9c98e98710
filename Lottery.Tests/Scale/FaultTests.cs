using System.Diagnostics;

namespace Lottery.Tests.Scale;

/// <summary>
/// A results folder that fills up or turns read-only while a run trains: the run stops with one error that names the
/// folder and says nothing is lost, its last whole checkpoint stays, and once the folder is fixed the same command
/// finishes every run, each trained once, to the serial figures. The folders are real tmpfs mounts (these tests need
/// root, as CI runs them).
/// </summary>
[Collection(ScaleCollection.Name)]
public sealed class FaultTests(SerialRun serial) : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-faults-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> mounts = [];

    [Fact]
    public void A_disk_that_fills_up_during_a_checkpoint_stops_the_run_with_a_clear_error_and_loses_nothing()
    {
        var output = Mount("full", "size=64m");
        string[] arguments = ["run", LotteryProcess.Experiment, "--out", output, "--workers", "1"];
        var worker = LotteryProcess.Start(arguments);
        var imp = WorkerTests.WaitForCheckpoint(output, "imp-", worker);

        // Fill what is left: the next checkpoint (or whatever comes first) cannot be written.
        var filler = Path.Combine(output, "filler");
        Fill(filler);
        Assert.True(LotteryProcess.WaitFor(worker, TimeSpan.FromMinutes(2)), "the run stopped");
        var text = LotteryProcess.Output(worker);
        Assert.Equal(2, worker.ExitCode);
        var error = Assert.Single(text.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains($"Cannot write to '{output}/runs/", error, StringComparison.Ordinal);
        Assert.Contains("No space left on device", error, StringComparison.Ordinal);
        Assert.Contains("Nothing finished is lost", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(imp, "checkpoint.bin")), "the last whole checkpoint is kept");
        Assert.Empty(Directory.GetFiles(output, "*.partial", SearchOption.AllDirectories));
        var finished = FinishedResults(output);

        // Room again: the same command finishes, resuming where it stopped.
        File.Delete(filler);
        var (code, again) = LotteryProcess.Run(arguments);
        Assert.True(code == 0, again);
        AssertUntouched(finished);
        Assert.All(LotteryProcess.Histories(output), h => Assert.Equal(1, h.Value.Finished));
        Assert.Contains(File.ReadAllLines(Path.Combine(imp, "history.log")), l => l.Contains("resumed from checkpoint", StringComparison.Ordinal));
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
    }

    [Fact]
    public void A_results_folder_that_turns_read_only_stops_the_run_with_a_clear_error_and_loses_nothing()
    {
        var output = Mount("readonly", "size=64m");
        string[] arguments = ["run", LotteryProcess.Experiment, "--out", output, "--workers", "1"];
        var worker = LotteryProcess.Start(arguments);
        WorkerTests.WaitForCheckpoint(output, "imp-", worker);
        Remount(output, "ro");
        Assert.True(LotteryProcess.WaitFor(worker, TimeSpan.FromMinutes(2)), "the run stopped");
        var text = LotteryProcess.Output(worker);
        Assert.Equal(2, worker.ExitCode);
        var error = Assert.Single(text.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains($"Cannot write to '{output}/", error, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", error, StringComparison.Ordinal);
        Assert.Contains("make the folder writable", error, StringComparison.Ordinal);
        var finished = FinishedResults(output);

        // Started on a folder it cannot write: one line naming --out and the folder, before anything else.
        var (code, refused) = LotteryProcess.Run(arguments);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --out: '{output}' cannot be written", refused.Trim().Split('\n').Single(l => l.StartsWith("error", StringComparison.Ordinal)), StringComparison.Ordinal);

        Remount(output, "rw");
        (code, var again) = LotteryProcess.Run(arguments);
        Assert.True(code == 0, again);
        AssertUntouched(finished);
        Assert.All(LotteryProcess.Histories(output), h => Assert.Equal(1, h.Value.Finished));
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
    }

    public void Dispose()
    {
        foreach (var mount in mounts)
        {
            Command("umount", "-l", mount);
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Every run result written so far, with its time of writing.</summary>
    private static Dictionary<string, DateTime> FinishedResults(string output) =>
        Directory.GetFiles(Path.Combine(output, "runs"), "result.json", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

    /// <summary>The runs that had finished were read back, not trained again.</summary>
    private static void AssertUntouched(Dictionary<string, DateTime> finished) =>
        Assert.All(finished, f => Assert.Equal(f.Value, File.GetLastWriteTimeUtc(f.Key)));

    private static void Fill(string path)
    {
        var block = new byte[1 << 16];
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // Full.
        }
    }

    private string Mount(string name, string options)
    {
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        var (code, output) = Command("mount", "-t", "tmpfs", "-o", options, "tmpfs", folder);
        Assert.True(code == 0, $"These tests mount a small tmpfs and need root (CI runs them as root): mount said {output}");
        mounts.Add(folder);
        return folder;
    }

    private static void Remount(string folder, string mode)
    {
        // A file open for writing makes a read-only remount busy for a moment: try again.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (code, output) = Command("mount", "-o", $"remount,{mode}", folder);
            if (code == 0)
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"mount -o remount,{mode} {folder}: {output}");
            Thread.Sleep(5);
        }
    }

    private static (int Code, string Output) Command(string program, params string[] arguments) =>
        LotteryProcess.RunToEnd(LotteryProcess.Program(program, arguments), TimeSpan.FromMinutes(1));
}
