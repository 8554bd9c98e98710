using Lottery.Examples.Experiments;
using Lottery.Experiments;

namespace Lottery.Tests.Scale;

/// <summary>
/// A sweep: the experiment cut into stages and tasks, the Slurm and Kubernetes files that run them, and the task entry
/// point run the way an Indexed Job runs it (JOB_COMPLETION_INDEX), stage after stage, to the serial figures.
/// </summary>
[Collection(ScaleCollection.Name)]
public sealed class SweepTests(SerialRun serial) : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-sweep-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Stages_follow_what_each_arm_derives_from_and_tasks_cut_them_in_plan_order()
    {
        // own-schedule, per seed (hand count): Dense and Imp need nothing; Imp's random re-initialisation and the arm
        // matched to Imp need Imp (points 1 and 2 each); the two rewind-once controls need the matched arm.
        var sweep = SweepPlan.Create(OwnScheduleExperiment.Definition, runsPerTask: 3);
        Assert.Equal([4, 8, 8], sweep.Stages.Select(s => s.Count));
        string[][] arms = [["Dense", "Imp"], ["ImpRandomReinit", "GlobalLateRewind"], ["GlobalLateRewindRewindOnce", "GlobalLateRewindRewindOnceToEpoch1"]];
        for (var stage = 0; stage < 3; stage++)
        {
            Assert.Equal(arms[stage].Order(), sweep.Stages[stage].Select(i => sweep.Plan[i].Arm.Name).Distinct().Order());
            Assert.Equal(sweep.Stages[stage], sweep.Stages[stage].Order());
        }

        Assert.Equal([2, 3, 3], Enumerable.Range(0, 3).Select(sweep.Tasks));
        Assert.Equal(sweep.Stages[1].Take(3), sweep.Runs(1, 0).Order());
        Assert.Equal(sweep.Stages[1].Skip(6), sweep.Runs(1, 2).Order());
        Assert.Equal(20, Enumerable.Range(0, 3).SelectMany(s => Enumerable.Range(0, sweep.Tasks(s)).SelectMany(t => sweep.Runs(s, t))).Distinct().Count());
        Assert.Contains("tasks 0 to 2", Assert.Throws<ArgumentException>(() => sweep.Runs(1, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("stages 0 to 2", Assert.Throws<ArgumentException>(() => sweep.Runs(3, 0)).Message, StringComparison.Ordinal);

        // The long runs others wait for come first.
        var order = ExperimentStages.Priority(OwnScheduleExperiment.Definition, sweep.Plan);
        Assert.Equal(["Imp", "Imp"], order.Take(2).Select(i => sweep.Plan[i].Arm.Name));
    }

    [Fact]
    public void The_sweep_writes_a_job_array_per_stage_chained_by_dependencies_and_an_indexed_job_per_stage()
    {
        var output = Path.Combine(root, "written");
        var (code, text) = LotteryProcess.Run("sweep", LotteryProcess.Experiment, "--out", output, "--epochs", "4", "--runs-per-task", "3", "--partition", "short", "--time", "01:00:00", "--mem", "4G", "--cpus-per-task", "2", "--max-parallel", "5", "--sbatch-option", "--qos=low", "--image", "registry.example/lottery:1");
        Assert.True(code == 0, text);
        Assert.Contains("20 runs in 3 stages", text, StringComparison.Ordinal);
        var slurm = Path.Combine(output, LotteryProcess.Experiment, "sweep", "slurm");
        int[] tasks = [2, 3, 3];
        for (var stage = 0; stage < 3; stage++)
        {
            var script = File.ReadAllText(Path.Combine(slurm, $"stage-{stage}.sbatch"));
            Assert.Contains($"#SBATCH --array=0-{tasks[stage] - 1}%5\n", script, StringComparison.Ordinal);
            Assert.Contains("#SBATCH --partition=short\n", script, StringComparison.Ordinal);
            Assert.Contains("#SBATCH --time=01:00:00\n", script, StringComparison.Ordinal);
            Assert.Contains("#SBATCH --mem=4G\n", script, StringComparison.Ordinal);
            Assert.Contains("#SBATCH --cpus-per-task=2\n", script, StringComparison.Ordinal);
            Assert.Contains("#SBATCH --qos=low\n", script, StringComparison.Ordinal);
            Assert.Contains($" task {LotteryProcess.Experiment} --epochs 4 --out {output} ", script, StringComparison.Ordinal);
            Assert.Contains($"--runs-per-task 3 --threads 1 --stage {stage}\n", script, StringComparison.Ordinal);
            Assert.Equal(0, Bash("-n", Path.Combine(slurm, $"stage-{stage}.sbatch")).Code);

            var job = File.ReadAllText(Path.Combine(output, LotteryProcess.Experiment, "sweep", "kubernetes", $"stage-{stage}.yaml"));
            Assert.Contains("completionMode: Indexed\n", job, StringComparison.Ordinal);
            Assert.Contains($"completions: {tasks[stage]}\n", job, StringComparison.Ordinal);
            Assert.Contains("image: \"registry.example/lottery:1\"", job, StringComparison.Ordinal);
            Assert.Contains($"\"--out\", \"/results\"", job, StringComparison.Ordinal);
            Assert.Contains($"\"--stage\", \"{stage}\"", job, StringComparison.Ordinal);
        }

        var submit = File.ReadAllText(Path.Combine(slurm, "submit.sh"));
        Assert.Equal(3, submit.Split('\n').Count(l => l.StartsWith("job=$(sbatch --parsable ${previous:+--dependency=afterok:$previous", StringComparison.Ordinal)));
        Assert.Equal(0, Bash("-n", Path.Combine(slurm, "submit.sh")).Code);
        Assert.True(Directory.Exists(Path.Combine(slurm, "logs")), "Slurm writes the tasks' logs into a folder that exists");
        var kubectl = File.ReadAllText(Path.Combine(output, LotteryProcess.Experiment, "sweep", "kubernetes", "submit.sh"));
        Assert.Equal(3, kubectl.Split('\n').Count(l => l.StartsWith("finish lottery-own-schedule-stage-", StringComparison.Ordinal)));
        Assert.Equal(0, Bash("-n", Path.Combine(output, LotteryProcess.Experiment, "sweep", "kubernetes", "submit.sh")).Code);
    }

    [Fact]
    public void Tasks_run_by_their_index_stage_after_stage_give_the_serial_figures_and_a_report_shows_what_has_finished_meanwhile()
    {
        var output = Path.Combine(root, "indexed");
        var sweep = SweepPlan.Create(OwnScheduleExperiment.Definition, runsPerTask: 3);

        // A stage started before the one it needs: one clear line, nothing trained.
        var (code, text) = Task(output, stage: 1, index: 0);
        Assert.Equal(2, code);
        Assert.Contains("need runs that have not finished and that no worker is training", text, StringComparison.Ordinal);

        for (var stage = 0; stage < sweep.Stages.Count; stage++)
        {
            for (var index = 0; index < sweep.Tasks(stage); index++)
            {
                (code, text) = Task(output, stage, index);
                Assert.True(code == 0, text);
                Assert.Contains($"stage {stage} task {index}: trained {sweep.Runs(stage, index).Count}, read back 0", text, StringComparison.Ordinal);
            }

            if (stage == 0)
            {
                (code, text) = LotteryProcess.Run("report", LotteryProcess.Experiment, "--out", output);
                Assert.True(code == 0, text);
                Assert.Contains("4 of 20 runs are in the tables. 8 have no result yet (", text, StringComparison.Ordinal);
                Assert.Equal(8, File.ReadAllLines(Path.Combine(output, LotteryProcess.Experiment, "summary.csv")).Length - 1); // per seed: dense, IMP's rounds 0 to 2
            }
        }

        // A task run again trains nothing.
        (code, text) = Task(output, 2, 0);
        Assert.True(code == 0, text);
        Assert.Contains("trained 0, read back 3", text, StringComparison.Ordinal);

        (code, text) = LotteryProcess.Run("report", LotteryProcess.Experiment, "--out", output);
        Assert.True(code == 0, text);
        Assert.DoesNotContain("runs are in the tables", text, StringComparison.Ordinal);
        Assert.Equal(serial.Figures, LotteryProcess.Figures(output));
        Assert.All(LotteryProcess.Histories(output), h => Assert.Equal((1, 0, 1, 0), h.Value));

        // Every task process computed with the portable profile, as LibTorch itself reported it.
        var began = LotteryProcess.BeganWith(output);
        Assert.Equal(20, began.Count);
        Assert.All(began, b => Assert.Equal(LotteryProcess.PortableKernels, b));
    }

    [Theory]
    [InlineData(new[] { "task", "own-schedule", "--stage", "0" }, "--index: give the task's index, or run it as a Slurm array task (SLURM_ARRAY_TASK_ID)")]
    [InlineData(new[] { "task", "own-schedule", "--stage", "0", "--index", "7" }, "Task index 7 is not valid: stage 0 of experiment own-schedule has tasks 0 to 3")]
    [InlineData(new[] { "task", "own-schedule", "--stage", "5", "--index", "0" }, "--stage 5 is not valid: experiment own-schedule has stages 0 to 2")]
    [InlineData(new[] { "sweep", "own-schedule", "--runs-per-task", "0" }, "--runs-per-task 0 is not valid")]
    [InlineData(new[] { "run", "own-schedule", "--workers", "0" }, "--workers 0 is not valid: it must be at least 1")]
    [InlineData(new[] { "run", "own-schedule", "--stale-after", "0" }, "--stale-after 0 is not valid")]
    public void Wrong_input_is_one_line_naming_the_problem(string[] arguments, string expected)
    {
        var (code, output) = LotteryProcess.Run([.. arguments, "--out", Path.Combine(root, "wrong")]);
        Assert.Equal(2, code);
        var first = output.Trim().Split('\n')[0];
        Assert.StartsWith("error: ", first, StringComparison.Ordinal);
        Assert.Contains(expected, first, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>One task as a Kubernetes Indexed Job's pod runs it: its index in JOB_COMPLETION_INDEX.</summary>
    private static (int Code, string Output) Task(string output, int stage, int index)
    {
        var start = LotteryProcess.StartInfo(
            ["task", LotteryProcess.Experiment, "--out", output, "--stage", stage.ToString(System.Globalization.CultureInfo.InvariantCulture), "--runs-per-task", "3"],
            [new("JOB_COMPLETION_INDEX", index.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        start.Environment.Remove("SLURM_ARRAY_TASK_ID");
        return LotteryProcess.RunToEnd(start, TimeSpan.FromMinutes(3));
    }

    private static (int Code, string Output) Bash(params string[] arguments) =>
        LotteryProcess.RunToEnd(LotteryProcess.Program("bash", arguments), TimeSpan.FromMinutes(1));
}
