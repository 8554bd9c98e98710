namespace Lottery.Tests.Experiments;

/// <summary>
/// <c>--sparse-training</c> on the command line, as a real process: the policy is part of every run's identity (dense
/// runs are not read back for it, and its own runs are read back the next time), and a value that is not a policy is
/// one line.
/// </summary>
public sealed class SparseTrainingCliTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-sparse-cli-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_policy_from_the_command_line_trains_runs_of_its_own_which_record_it_and_are_read_back()
    {
        string[] options = ["--seeds", "1", "--workers", "1", "--out", root];
        var (code, text) = RunCliTests.Cli(["run", "own-schedule", .. options]);
        Assert.True(code == 0, text);
        var dense = Directory.GetDirectories(Path.Combine(root, "runs")).ToHashSet();
        Assert.All(dense, run => Assert.DoesNotContain("SparseTraining", File.ReadAllText(Path.Combine(run, "settings.json")), StringComparison.Ordinal));

        (code, text) = RunCliTests.Cli(["run", "own-schedule", "--sparse-training", "sparse", .. options]);
        Assert.True(code == 0, text);
        Assert.DoesNotContain("(saved result)", text, StringComparison.Ordinal);
        var sparse = Directory.GetDirectories(Path.Combine(root, "runs")).Except(dense).ToList();
        Assert.Equal(dense.Count, sparse.Count);
        Assert.All(sparse, run => Assert.Contains("\"SparseTraining\": \"Sparse\"", File.ReadAllText(Path.Combine(run, "settings.json")), StringComparison.Ordinal));

        (code, text) = RunCliTests.Cli(["run", "own-schedule", "--sparse-training", "SPARSE", .. options]);
        Assert.True(code == 0, text);
        Assert.Equal(dense.Count, text.Split('\n').Count(l => l.Contains("(saved result)", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_value_that_is_not_a_policy_is_an_error_naming_the_option_and_writes_nothing()
    {
        var (code, text) = RunCliTests.Cli("run", "own-schedule", "--sparse-training", "fastest", "--out", root);

        Assert.Equal(2, code);
        var line = text.Trim().Split('\n')[0];
        Assert.StartsWith("error: --sparse-training fastest is not valid", line, StringComparison.Ordinal);
        Assert.Contains("give dense, sparse or auto", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, "runs")), "nothing was written");
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
