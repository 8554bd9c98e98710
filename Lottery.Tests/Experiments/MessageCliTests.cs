using Lottery.Examples.Models;
using Lottery.Masks;

namespace Lottery.Tests.Experiments;

/// <summary>
/// Messages a fault tester found misleading or raw, each now one line that names the problem, where it is and what to
/// do, as `lottery` prints it when run as a real process.
/// </summary>
public sealed class MessageCliTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("lottery-messages-").FullName;

    private readonly List<string> mounts = [];

    public void Dispose()
    {
        foreach (var mount in mounts)
        {
            Command("umount", "-l", mount);
        }

        Directory.Delete(root, recursive: true);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void A_data_folder_that_does_not_exist_is_named_with_what_to_pass_not_advice_to_run_again(string workers)
    {
        var missing = Path.Combine(root, "no-such-folder");
        var (code, output) = RunCliTests.Cli("run", "own-schedule", "--data-dir", missing, "--workers", workers, "--out", Path.Combine(root, "out"));

        Assert.Equal(2, code);
        var error = Assert.Single(Errors(output));
        Assert.Equal($"error: --data-dir: the folder '{missing}' does not exist; pass the folder that holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz), or leave --data-dir out to search the usual places.", error);
        Assert.DoesNotContain("Run the same command again", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, "out", "runs")), "nothing was started");
    }

    [Fact]
    public void A_data_folder_without_the_files_is_one_error_from_the_command_not_one_per_worker_with_advice_to_run_again()
    {
        var empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        var (code, output) = RunCliTests.Cli("run", "own-schedule", "--data-dir", empty, "--workers", "2", "--out", Path.Combine(root, "out"));

        Assert.Equal(2, code);
        var error = Assert.Single(Errors(output));
        Assert.StartsWith($"error: {empty}/train-images-idx3-ubyte.gz: file not found.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Run the same command again", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_claim_file_deleted_under_a_lone_worker_is_reported_as_removed_from_outside_and_the_run_resumes()
    {
        var output = Path.Combine(root, "claim");
        var worker = Scale.LotteryProcess.Start("run", "own-schedule", "--seeds", "1", "--workers", "1", "--out", output);
        var imp = Scale.WorkerTests.WaitForCheckpoint(output, "imp-", worker);
        File.Delete(Directory.GetFiles(imp, "claim-*.json").Single());

        Assert.True(Scale.LotteryProcess.WaitFor(worker, TimeSpan.FromMinutes(3)), "the run finished");
        var text = Scale.LotteryProcess.Output(worker);
        Assert.True(worker.ExitCode == 0, text);
        var warning = Assert.Single(text.Split('\n'), l => l.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.StartsWith($"warning: The claim on run '{Path.GetFileName(imp)}' (claim-000001.json) was removed from outside while this worker", warning, StringComparison.Ordinal);
        Assert.Contains("resumes from its last whole checkpoint", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("another worker", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stopped for longer", text, StringComparison.Ordinal);
        Assert.Contains(File.ReadAllLines(Path.Combine(imp, "history.log")), l => l.Contains("resumed from checkpoint", StringComparison.Ordinal));
        Assert.All(Scale.LotteryProcess.Histories(output), h => Assert.Equal(1, h.Value.Finished));
    }

    [Fact]
    public void Compact_to_a_file_writes_both_of_its_files_there_and_nothing_into_the_run_s_folder()
    {
        var run = FinishedRun(Path.Combine(root, "runs", "imp-s1-0123456789abcdef"));
        var before = Files(run);
        var to = Path.Combine(root, "elsewhere", "lenet.chain");

        var (code, output) = RunCliTests.Cli("compact", run, "--to", to);

        Assert.True(code == 0, output);
        Assert.Equal(["lenet.chain", "lenet.plain.dat"], Directory.GetFiles(Path.GetDirectoryName(to)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(before, Files(run));
    }

    [Fact]
    public void Export_and_compact_of_a_read_only_run_folder_name_the_folder_and_suggest_to()
    {
        var mount = Mount("read-only");
        var run = FinishedRun(Path.Combine(mount, "imp-s1-0123456789abcdef"));
        Remount(mount, "ro");
        var rounds = Path.Combine(run, "rounds");

        foreach (var arguments in new[] { new[] { "export", run }, ["export", run, "--format", "pytorch"], ["compact", run] })
        {
            var (code, output) = RunCliTests.Cli(arguments);
            Assert.Equal(2, code);
            Assert.Equal($"error: The folder '{rounds}' cannot be written (Read-only file system); give a file in a folder you can write to with --to.", output.Trim());
        }

        var (toCode, toOutput) = RunCliTests.Cli("export", run, "--format", "ticket", "--to", Path.Combine(mount, "copy.ticket"));
        Assert.Equal(2, toCode);
        Assert.Equal($"error: --to: '{Path.Combine(mount, "copy.ticket")}' cannot be written (Read-only file system); give a file in a folder you can write to.", toOutput.Trim());

        // --to elsewhere works from the read-only folder.
        var (elsewhereCode, elsewhere) = RunCliTests.Cli("compact", run, "--to", Path.Combine(root, "out", "lenet.chain"));
        Assert.True(elsewhereCode == 0, elsewhere);
    }

    [Fact]
    public void Export_and_compact_of_an_unfinished_run_refuse_its_newest_round_unless_a_round_is_asked_for()
    {
        var run = FinishedRun(Path.Combine(root, "runs", "imp-s1-0123456789abcdef"));
        File.Delete(Path.Combine(run, "result.json"));
        var expected = $"error: Run '{run}' has not finished (it has no result.json), so its newest round, 1, is not its final model. Finish it by running the same `lottery run` command again "
            + "(it resumes where it stopped), or take that round as it stands with --round 1.";

        foreach (var arguments in new[] { new[] { "export", run }, ["export", run, "--format", "ticket"], ["compact", run] })
        {
            var (code, output) = RunCliTests.Cli(arguments);
            Assert.Equal(2, code);
            Assert.Equal(expected, output.Trim());
        }

        Assert.False(Directory.GetFiles(Path.Combine(run, "rounds")).Any(f => !f.EndsWith(".pruned", StringComparison.Ordinal) && !f.EndsWith(".ticket", StringComparison.Ordinal)), "nothing was written");
        var (roundCode, roundOutput) = RunCliTests.Cli("compact", run, "--round", "1", "--to", Path.Combine(root, "out", "round-1.chain"));
        Assert.True(roundCode == 0, roundOutput);
        Assert.Contains($"from {Path.Combine(run, "rounds", "round-01.pruned")}", roundOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_counts_the_runs_it_shows_and_says_which_wait_on_a_run_without_a_result()
    {
        var output = Path.Combine(root, "report");
        string[] options = ["--seeds", "1", "--out", output];
        var (code, text) = RunCliTests.Cli(["run", "own-schedule", "--workers", "1", .. options]);
        Assert.True(code == 0, text);

        // IMP's result gone (deleted, or its run being trained again): every other run keeps its result, but the 8 derived
        // from IMP (its control at 2 points, the matched arm at 2 points, its two rewind-once controls at 2 points each)
        // are known only by IMP's outcome. In the tables: Dense alone, 1 of 10 (a hand count of own-schedule's plan for one seed).
        var imp = Directory.GetDirectories(Path.Combine(output, "runs"), "imp-s1-*").Single();
        File.Delete(Path.Combine(imp, "result.json"));
        Assert.Equal(9, Directory.GetFiles(Path.Combine(output, "runs"), "result.json", SearchOption.AllDirectories).Length);

        (code, text) = RunCliTests.Cli(["report", "own-schedule", .. options]);
        Assert.True(code == 0, text);
        Assert.Equal(
            "1 of 10 runs are in the tables. 1 has no result yet (Imp seed 1); the 8 runs derived from it cannot be matched to a saved result until it has finished. `lottery run own-schedule` with the same options finishes them.",
            text.Split('\n')[0].TrimEnd());

        // IMP trained again, then a run nothing derives from loses its result: it alone is missing.
        (code, text) = RunCliTests.Cli(["run", "own-schedule", "--workers", "1", .. options]);
        Assert.True(code == 0, text);
        File.Delete(Directory.GetFiles(Path.Combine(output, "runs"), "result.json", SearchOption.AllDirectories).Single(f => f.Contains("dense-s1-", StringComparison.Ordinal)));
        (code, text) = RunCliTests.Cli(["report", "own-schedule", .. options]);
        Assert.True(code == 0, text);
        Assert.Equal("9 of 10 runs are in the tables. 1 has no result yet (Dense seed 1). `lottery run own-schedule` with the same options finishes it.", text.Split('\n')[0].TrimEnd());
    }

    [Fact]
    public async Task A_worker_whose_parent_ends_mid_training_exits_quietly_without_an_internal_error_file()
    {
        // The parent's end closes a worker's standard input; the worker then exits while LibTorch is torn down under
        // its training thread, which used to fail with "INTERNAL ASSERT FAILED" and leave an error file asking for
        // an issue. The moment decides whether LibTorch is in the middle of an operation: try it several times.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var output = Path.Combine(root, $"orphan-{attempt}");
            var start = Scale.LotteryProcess.StartInfo(["run", "own-schedule", "--seeds", "1", "--workers", "1", "--worker", "worker 1", "--out", output]);
            start.RedirectStandardInput = true;
            using var worker = System.Diagnostics.Process.Start(start)!;
            var standardOutput = worker.StandardOutput.ReadToEndAsync();
            var standardError = worker.StandardError.ReadToEndAsync();
            var details = Path.Combine(Path.GetTempPath(), $"lottery-error-{worker.Id}.txt");
            File.Delete(details);
            var runs = Path.Combine(output, "runs");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!(Directory.Exists(runs) && Directory.GetFiles(runs, "checkpoint.bin", SearchOption.AllDirectories).Length > 0))
            {
                Assert.False(worker.HasExited, $"the worker ended before its first checkpoint: {(worker.HasExited ? await standardError : string.Empty)}");
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "no checkpoint appeared");
                await Task.Delay(5);
            }

            await Task.Delay(Random.Shared.Next(0, 300));
            worker.StandardInput.Close();
            using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            {
                await worker.WaitForExitAsync(timeout.Token);
            }

            Assert.False(File.Exists(details), $"attempt {attempt}: {(File.Exists(details) ? File.ReadAllText(details).Split('\n')[0] : string.Empty)}");
            Assert.DoesNotContain("internal error", await standardError, StringComparison.Ordinal);
            Assert.Equal(130, worker.ExitCode);
            await standardOutput;
        }
    }

    [Fact]
    public void A_killed_worker_whose_runs_the_other_finishes_leaves_a_complete_summary_a_warning_and_exit_code_0()
    {
        var output = Path.Combine(root, "lost-worker");
        var parent = Scale.LotteryProcess.Start("run", "own-schedule", "--seeds", "1", "--workers", "2", "--out", output);
        var imp = Scale.WorkerTests.WaitForCheckpoint(output, "imp-", parent);

        // Kill the worker training IMP (its claim names it); the other takes the run over and finishes everything.
        var claim = System.Text.Json.JsonSerializer.Deserialize<Results.ClaimHolder>(File.ReadAllText(Directory.GetFiles(imp, "claim-*.json").Single()))!;
        using (var worker = System.Diagnostics.Process.GetProcessById(claim.ProcessId))
        {
            worker.Kill();
            worker.WaitForExit();
        }

        Assert.True(Scale.LotteryProcess.WaitFor(parent, TimeSpan.FromMinutes(3)), "the run finished");
        var text = Scale.LotteryProcess.Output(parent);
        Assert.True(parent.ExitCode == 0, text);
        var warning = Assert.Single(text.Split('\n'), l => l.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.Matches(@"^warning: worker \d ended with exit code 137 and said nothing \(killed, or out of memory\?\); the other workers finished every run, so the summary is complete\.$", warning.TrimEnd());
        Assert.DoesNotContain("error", text, StringComparison.Ordinal);
        // The header, then one row a run and one per IMP round: Dense, IMP's rounds 0 to 2, and 8 runs at the 2 points.
        Assert.Equal(1 + 1 + 3 + 8, File.ReadAllLines(Path.Combine(output, "own-schedule", "summary.csv")).Length);
        Assert.All(Scale.LotteryProcess.Histories(output), h => Assert.Equal(1, h.Value.Finished));
    }

    [Fact]
    public void Report_removes_the_empty_partial_files_of_killed_reports_and_keeps_those_of_running_processes()
    {
        var output = Path.Combine(root, "partials");
        var (code, text) = RunCliTests.Cli("run", "own-schedule", "--seeds", "1", "--workers", "1", "--out", output);
        Assert.True(code == 0, text);

        // What a report killed while writing leaves: an empty temporary file beside each file it was writing, named by
        // this machine and its process id (a process that has ended), and a write under way in a running process.
        using var ended = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        ended.WaitForExit();
        var host = new string(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        var folder = Path.Combine(output, "own-schedule");
        var abandoned = new[] { "summary.csv", "summary.json", "report.md" }.Select(f => Path.Combine(folder, $"{f}.{host}-{ended.Id}-3.partial")).ToList();
        var underWay = Path.Combine(folder, $"summary.csv.{host}-{Environment.ProcessId}-1.partial");
        foreach (var file in abandoned.Append(underWay))
        {
            File.WriteAllBytes(file, []);
        }

        (code, text) = RunCliTests.Cli("report", "own-schedule", "--seeds", "1", "--out", output);
        Assert.True(code == 0, text);
        Assert.All(abandoned, f => Assert.False(File.Exists(f), $"{Path.GetFileName(f)} is left"));
        Assert.Equal([underWay], Directory.GetFiles(output, "*.partial", SearchOption.AllDirectories));
    }

    /// <summary>A finished run's folder as a run leaves it, by hand: its rounds' pruned LeNet-300-100 and tickets, and its result.</summary>
    private static string FinishedRun(string run)
    {
        var rounds = Directory.CreateDirectory(Path.Combine(run, "rounds")).FullName;
        for (var round = 0; round <= 1; round++)
        {
            using var model = Export.ExportModels.Pruned(() => new LeNet300100(), seed: 31, rate: 0.2 + (0.3 * round));
            model.SavePrunedModel(Path.Combine(rounds, $"round-{round:00}.pruned"));
            Ticket.Save(model, model.Masks!, Path.Combine(rounds, $"round-{round:00}.ticket"));
        }

        HandMadeRuns.Finish(run);
        return run;
    }

    private static Dictionary<string, DateTime> Files(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

    /// <summary>A small tmpfs (these tests need root, as CI runs them, like <see cref="Scale.FaultTests"/>).</summary>
    private string Mount(string name)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        var (code, output) = Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", folder);
        Assert.True(code == 0, $"This test mounts a small tmpfs and needs root (CI runs it as root): mount said {output}");
        mounts.Add(folder);
        return folder;
    }

    private static void Remount(string folder, string mode)
    {
        var (code, output) = Command("mount", "-o", $"remount,{mode}", folder);
        Assert.True(code == 0, $"mount -o remount,{mode} {folder}: {output}");
    }

    private static (int Code, string Output) Command(string program, params string[] arguments) =>
        Scale.LotteryProcess.RunToEnd(Scale.LotteryProcess.Program(program, arguments), TimeSpan.FromMinutes(1));

    private static List<string> Errors(string output) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("error", StringComparison.Ordinal) || l.StartsWith("internal error", StringComparison.Ordinal)).ToList();
}
