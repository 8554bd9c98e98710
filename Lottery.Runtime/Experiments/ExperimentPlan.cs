using System.Globalization;
using Lottery.Training;

namespace Lottery.Experiments;

/// <summary>One run an experiment needs: an arm at a point for a seed. What it trains is resolved when the runs it derives from have finished.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Seed">The training seed.</param>
/// <param name="Point">The point (0: the arm's single run).</param>
/// <param name="EpochsPerRound">Epochs of one training.</param>
/// <param name="Rounds">Trainings the run has (IMP: its dense round and every pruning round).</param>
public sealed record PlannedRun(ExperimentArm Arm, long Seed, int Point, int EpochsPerRound, int Rounds)
{
    /// <summary>Epochs it trains in all.</summary>
    public int Epochs => EpochsPerRound * Rounds;

    /// <summary>A short label, for example <c>EveryEpochMagnitude point 7 seed 2</c>.</summary>
    public string Label => Point > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Arm.Name} point {Point} seed {Seed}")
        : string.Create(CultureInfo.InvariantCulture, $"{Arm.Name} seed {Seed}");

    /// <summary>Whether the run has several rounds (IMP), each worth a line in a log.</summary>
    public bool HasRounds => Rounds > 1;
}

/// <summary>Turns an experiment into its runs, in the order they run: seed by seed, arm by arm, point by point.</summary>
public static class ExperimentPlan
{
    /// <summary>Every run <paramref name="experiment"/> needs.</summary>
    /// <exception cref="ArgumentException">The experiment is not valid (see <see cref="ExperimentDefinition.Validate"/>).</exception>
    public static IReadOnlyList<PlannedRun> Create(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        experiment.Validate();
        return experiment.Seeds
            .SelectMany(seed => experiment.Arms.SelectMany(arm => arm.RunPoints(experiment).Select(point =>
                new PlannedRun(arm, seed, point, arm.EpochsPerRound(experiment), arm is MethodArm method ? method.Method.TrainingRounds : 1))))
            .ToList();
    }
}

/// <summary>The order runs depend on each other in: stages, and which runs to train first when many workers share them.</summary>
public static class ExperimentStages
{
    /// <summary>
    /// Each arm's stage: 0 for an arm that derives from no other, otherwise one more than the deepest arm it depends on
    /// (<see cref="ExperimentArm.DependsOn"/>). Every run of stage k can start once stage k - 1 has finished.
    /// </summary>
    /// <exception cref="ArgumentException">Arms depend on each other in a circle, or on an arm the experiment does not have.</exception>
    public static IReadOnlyDictionary<string, int> Of(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var stages = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var arm in experiment.Arms)
        {
            StageOf(arm, []);
        }

        return stages;

        int StageOf(ExperimentArm arm, HashSet<string> visiting)
        {
            if (stages.TryGetValue(arm.Name, out var known))
            {
                return known;
            }

            if (!visiting.Add(arm.Name))
            {
                throw new ArgumentException($"Arms of experiment {experiment.Name} depend on each other in a circle: {string.Join(" -> ", visiting)} -> {arm.Name}.");
            }

            var stage = 0;
            foreach (var name in arm.DependsOn(experiment))
            {
                var source = experiment.Arms.FirstOrDefault(a => a.Name == name)
                    ?? throw new ArgumentException($"Arm {arm.Name} depends on {name}, which is not an arm of experiment {experiment.Name}.");
                stage = Math.Max(stage, StageOf(source, visiting) + 1);
            }

            visiting.Remove(arm.Name);
            return stages[arm.Name] = stage;
        }
    }

    /// <summary>
    /// The plan's indices in the order a worker should try them: first the runs other runs wait for (the earliest
    /// stage first, the longest first), then the rest, longest first; plan order breaks ties. With several workers the
    /// long runs that others depend on (IMP) start at once and the short derived runs fill in behind them.
    /// </summary>
    public static IReadOnlyList<int> Priority(ExperimentDefinition experiment, IReadOnlyList<PlannedRun> plan)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(plan);
        var stages = Of(experiment);
        var needed = experiment.Arms.SelectMany(a => a.DependsOn(experiment)).ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(0, plan.Count)
            .OrderBy(i => needed.Contains(plan[i].Arm.Name) ? 0 : 1)
            .ThenBy(i => stages[plan[i].Arm.Name])
            .ThenByDescending(i => plan[i].Epochs)
            .ThenBy(i => i)
            .ToList();
    }
}

/// <summary>Called as an experiment goes; every method is optional.</summary>
public interface IExperimentProgress
{
    /// <summary>Once, with every run the experiment needs.</summary>
    void Planned(IReadOnlyList<PlannedRun> runs)
    {
    }

    /// <summary>Before a run trains (not for a run read back).</summary>
    void Starting(PlannedRun run)
    {
    }

    /// <summary>After each epoch of a run.</summary>
    void Epoch(PlannedRun run, EpochMetrics metrics)
    {
    }

    /// <summary>After a run, trained or read back.</summary>
    void Finished(PlannedRun run, Runs.RunResult result, bool reused)
    {
    }

    /// <summary>A problem that does not stop the experiment (a damaged checkpoint set aside).</summary>
    void Warning(string message)
    {
    }
}
