namespace Lottery.Experiments;

/// <summary>
/// An experiment cut into tasks for a batch system (a Slurm job array per stage, a Kubernetes Indexed Job per stage):
/// stage k holds the runs of the arms of stage k (<see cref="ExperimentStages.Of"/>), in plan order, and task i of a
/// stage trains runs i·r to i·r + r − 1 of it (r runs per task). Every task of a stage can start once the stage before
/// has finished; tasks claim their runs in the shared run store like any worker, so a task run twice trains nothing twice.
/// </summary>
public sealed class SweepPlan
{
    private SweepPlan(ExperimentDefinition experiment, IReadOnlyList<PlannedRun> plan, IReadOnlyList<IReadOnlyList<int>> stages, int runsPerTask)
    {
        Experiment = experiment;
        Plan = plan;
        Stages = stages;
        RunsPerTask = runsPerTask;
    }

    /// <summary>The experiment.</summary>
    public ExperimentDefinition Experiment { get; }

    /// <summary>Every run, in plan order.</summary>
    public IReadOnlyList<PlannedRun> Plan { get; }

    /// <summary>The plan indices of each stage's runs, in plan order.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Stages { get; }

    /// <summary>Runs each task trains.</summary>
    public int RunsPerTask { get; }

    /// <summary>Cuts <paramref name="experiment"/> into stages and tasks of <paramref name="runsPerTask"/> runs.</summary>
    /// <exception cref="ArgumentException">The experiment is not valid, or <paramref name="runsPerTask"/> is below 1.</exception>
    public static SweepPlan Create(ExperimentDefinition experiment, int runsPerTask = 1)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (runsPerTask < 1)
        {
            throw new ArgumentException($"--runs-per-task {runsPerTask} is not valid: each task trains at least 1 run.");
        }

        var plan = ExperimentPlan.Create(experiment);
        var stageOf = ExperimentStages.Of(experiment);
        var count = plan.Count == 0 ? 0 : plan.Max(r => stageOf[r.Arm.Name]) + 1;
        var stages = Enumerable.Range(0, count)
            .Select(stage => (IReadOnlyList<int>)Enumerable.Range(0, plan.Count).Where(i => stageOf[plan[i].Arm.Name] == stage).ToList())
            .ToList();
        return new SweepPlan(experiment, plan, stages, runsPerTask);
    }

    /// <summary>Tasks of stage <paramref name="stage"/>.</summary>
    public int Tasks(int stage) => (Stages[stage].Count + RunsPerTask - 1) / RunsPerTask;

    /// <summary>Epochs the longest task of stage <paramref name="stage"/> trains.</summary>
    public int LongestTaskEpochs(int stage) =>
        Enumerable.Range(0, Tasks(stage)).Max(task => Runs(stage, task).Sum(i => Plan[i].Epochs));

    /// <summary>The plan indices task <paramref name="task"/> of stage <paramref name="stage"/> trains.</summary>
    /// <exception cref="ArgumentException">No such stage or task; the message says which there are.</exception>
    public IReadOnlySet<int> Runs(int stage, int task)
    {
        if (stage < 0 || stage >= Stages.Count)
        {
            throw new ArgumentException($"--stage {stage} is not valid: experiment {Experiment.Name} has stages 0 to {Stages.Count - 1}.");
        }

        var tasks = Tasks(stage);
        if (task < 0 || task >= tasks)
        {
            throw new ArgumentException($"Task index {task} is not valid: stage {stage} of experiment {Experiment.Name} has tasks 0 to {tasks - 1} ({Stages[stage].Count} runs, {RunsPerTask} per task).");
        }

        return Stages[stage].Skip(task * RunsPerTask).Take(RunsPerTask).ToHashSet();
    }
}
