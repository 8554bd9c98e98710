using Lottery.Tests.Scale;

namespace Lottery.Tests.Experiments;

/// <summary>
/// A finished run is read back only when every file it is read back from matches the checksum recorded when it
/// finished: a flipped byte in a result, a flipped bit in kept weights or a damaged ticket is found, the run set aside
/// and trained again to the same figures, never summarised; where nothing may train (a report), one line names the
/// file and the command that computes it again.
/// </summary>
public sealed class StoredResultTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-stored-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Damaged_results_weights_and_tickets_are_found_set_aside_and_computed_again_to_the_same_figures()
    {
        var output = Path.Combine(root, "results");
        var (code, text) = Run(output);
        Assert.True(code == 0, text);
        var figures = LotteryProcess.Figures(output);
        var runs = Path.Combine(output, "runs");
        string RunOf(string prefix) => Directory.GetDirectories(runs, prefix + "*").Single();

        // One flipped digit in a finished run's result.json ("0.925" to "0.924" in spirit): set aside and trained again.
        var imp = RunOf("imp-s1-");
        var result = Path.Combine(imp, "result.json");
        var json = File.ReadAllText(result);
        var at = json.IndexOf("\"Accuracy\": 0.", StringComparison.Ordinal) + "\"Accuracy\": 0.".Length;
        File.WriteAllText(result, json[..at] + (json[at] == '9' ? '8' : '9') + json[(at + 1)..]);
        (code, text) = Run(output);
        Assert.True(code == 0, text);
        Assert.Contains($"Run {Path.GetFileName(imp)} was set aside: '{result}' is damaged", text, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(imp, "result.json.damaged-*"));
        Assert.Contains(File.ReadAllLines(Path.Combine(imp, "history.log")), l => l.Contains("set aside: ", StringComparison.Ordinal));
        Assert.Equal(figures, LotteryProcess.Figures(output));

        // One flipped bit in the weights a rewind-once control starts from, the control not yet trained: the source run is
        // set aside and trained again, and the control trains from the right weights (its ticket is the same, byte for byte).
        var source = RunOf("globallaterewind-p1-s1-");
        var weights = Path.Combine(source, "weights", "epoch-01.bin");
        var control = RunOf("globallaterewindrewindoncetoepoch1-p1-s1-");
        var ticket = File.ReadAllBytes(Path.Combine(control, "rounds", "round-00.ticket"));
        Directory.Delete(control, recursive: true);
        var bytes = File.ReadAllBytes(weights);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(weights, bytes);
        (code, text) = Run(output);
        Assert.True(code == 0, text);
        Assert.Contains($"'{weights}' is damaged", text, StringComparison.Ordinal);
        Assert.True(ticket.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(control, "rounds", "round-00.ticket"))), "the control trained from the weights its source kept");
        Assert.Equal(figures, LotteryProcess.Figures(output));

        // A damaged ticket under rounds/ no longer blocks the experiment: its run is trained again. Before that, export
        // of the run refuses it in one line naming the file and what recomputes it.
        var damagedTicket = Path.Combine(imp, "rounds", "round-01.ticket");
        bytes = File.ReadAllBytes(damagedTicket);
        bytes[^40] ^= 0x10;
        File.WriteAllBytes(damagedTicket, bytes);
        (code, text) = LotteryProcess.Run("export", imp, "--format", "ticket", "--to", Path.Combine(root, "exported.ticket"));
        Assert.Equal(2, code);
        Assert.Equal($"error: Run '{imp}' cannot be used: '{damagedTicket}' is damaged: its SHA-256 is not the one checksums.sha256 recorded when the run finished. Run the `lottery run` command that made it again: it sets the run aside and trains it again.", text.Trim());
        (code, text) = Run(output);
        Assert.True(code == 0, text);
        Assert.Contains($"'{damagedTicket}' is damaged", text, StringComparison.Ordinal);
        Assert.Equal(figures, LotteryProcess.Figures(output));

        // A report trains nothing: a damaged result is one line naming the file and the command that computes it again.
        var dense = RunOf("dense-s1-");
        var denseResult = Path.Combine(dense, "result.json");
        File.AppendAllText(denseResult, " ");
        (code, text) = LotteryProcess.Run("report", Path.Combine(output, LotteryProcess.Experiment));
        Assert.Equal(2, code);
        var lines = text.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Equal($"error: Run '{Path.GetFileName(dense)}' cannot be read back: '{denseResult}' is damaged: its SHA-256 is not the one checksums.sha256 recorded when the run finished. Run `lottery run {LotteryProcess.Experiment}` again with the options it ran with: it sets the run aside and trains it again.", lines[0]);

        // sha256sum, the standard tool, checks a run's folder too.
        var check = LotteryProcess.RunToEnd(LotteryProcess.Program("bash", ["-c", $"cd '{imp}' && sha256sum --quiet -c checksums.sha256"]), TimeSpan.FromMinutes(1));
        Assert.True(check.Code == 0, check.Output);
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static (int Code, string Output) Run(string output) =>
        LotteryProcess.Run("run", LotteryProcess.Experiment, "--seeds", "1", "--workers", "1", "--out", output);
}
