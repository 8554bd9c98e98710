using System.Globalization;
using System.Runtime.Versioning;

namespace Lottery.Tests.Scale;

/// <summary>
/// The test cluster runs real Slurm jobs: a job array whose tasks each write their index, and a job that depends on the
/// whole array and gathers what the tasks wrote. Slurm must be installed (`bash scripts/install-slurm.sh`); without it
/// the test fails with that instruction.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SlurmClusterTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "lottery-slurm-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_job_array_runs_every_task_and_a_dependent_job_runs_after_all_of_them()
    {
        using var cluster = SlurmCluster.Start(folder);
        var work = Path.Combine(folder, "work");
        Directory.CreateDirectory(work);

        var array = Path.Combine(folder, "array.sh");
        File.WriteAllText(array, $"""
            #!/bin/bash
            #SBATCH --array=0-2
            #SBATCH --cpus-per-task=1
            #SBATCH --output={folder}/task-%a.out
            #SBATCH --chdir={work}
            echo "$SLURM_ARRAY_TASK_ID" > "index-$SLURM_ARRAY_TASK_ID.txt"

            """);
        var gather = Path.Combine(folder, "gather.sh");
        File.WriteAllText(gather, """
            #!/bin/bash
            cat index-0.txt index-1.txt index-2.txt

            """);

        var arrayId = cluster.Submit(array);
        var gatherId = cluster.Submit(gather, $"--dependency=afterok:{arrayId}", $"--chdir={work}", $"--output={folder}/gather.out");
        var states = cluster.WaitForJobs([arrayId, gatherId], TimeSpan.FromSeconds(120));

        string[] expected = [$"{arrayId}_0=COMPLETED", $"{arrayId}_1=COMPLETED", $"{arrayId}_2=COMPLETED", $"{gatherId}=COMPLETED"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), states.Select(s => $"{s.Key}={s.Value}").Order(StringComparer.Ordinal));
        for (var task = 0; task < 3; task++)
        {
            Assert.Equal($"{task}\n", File.ReadAllText(Path.Combine(work, $"index-{task}.txt")));
            Assert.True(File.Exists(Path.Combine(folder, $"task-{task}.out")), $"task {task} wrote its --output file");
        }

        // The gathering job found every task's file, so it ran after all of them; Slurm's own times say so too.
        Assert.Equal(["0", "1", "2"], File.ReadAllLines(Path.Combine(folder, "gather.out")));
        var lastTaskEnd = Times(cluster, arrayId, "EndTime").Max();
        Assert.True(Times(cluster, gatherId, "StartTime").Single() >= lastTaskEnd, "the dependent job started before the array's last task ended");
    }

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>One time field of each record `scontrol show job` prints for a job (every task of an array).</summary>
    private static List<DateTime> Times(SlurmCluster cluster, string jobId, string field)
    {
        var (code, output) = cluster.Client("scontrol", "show", "job", "-o", jobId);
        Assert.True(code == 0, output);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ').Single(f => f.StartsWith(field + "=", StringComparison.Ordinal))[(field.Length + 1)..])
            .Select(value => DateTime.ParseExact(value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture))
            .ToList();
    }
}
