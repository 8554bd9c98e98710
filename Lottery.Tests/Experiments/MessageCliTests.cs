namespace Lottery.Tests.Experiments;

/// <summary>
/// Messages a fault tester found misleading or raw, each now one line that names the problem, where it is and what to
/// do, as `lottery` prints it when run as a real process.
/// </summary>
public sealed class MessageCliTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("lottery-messages-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

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

    private static List<string> Errors(string output) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("error", StringComparison.Ordinal) || l.StartsWith("internal error", StringComparison.Ordinal)).ToList();
}
