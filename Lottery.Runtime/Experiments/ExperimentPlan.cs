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
                new PlannedRun(arm, seed, point, experiment.Training.Epochs, arm is MethodArm method ? method.Method.TrainingRounds : 1))))
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
