using Lottery.Results;
using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>What one run of an arm trains: a pruning method, and the mask it starts from when it trains a given mask.</summary>
/// <param name="Method">How the run prunes.</param>
/// <param name="StartMask">Another run's mask to train instead of pruning, or null.</param>
/// <param name="StartWeights">Another run's weights after an epoch to start from instead of initialisation, or null.</param>
public sealed record RunRequest(PruningMethod Method, StartMask? StartMask = null, StartWeights? StartWeights = null);

/// <summary>A finished run of an arm as others see it: its id, its result, and the round a point refers to.</summary>
/// <param name="Run">The run's id.</param>
/// <param name="Result">What it measured.</param>
/// <param name="Round">The round of <paramref name="Result"/> the point refers to.</param>
public sealed record ArmOutcome(string Run, RunResult Result, int Round)
{
    /// <summary>The weights remaining at the end of that round.</summary>
    public double WeightsRemaining => Result.Rounds[Round].WeightsRemaining;

    /// <summary>The mask that round ended with, to train from.</summary>
    public StartMask Mask => new(Run, Round);
}

/// <summary>The finished runs of the arms planned before, for the seed being run.</summary>
public interface IArmOutcomes
{
    /// <summary>Arm <paramref name="arm"/>'s outcome at <paramref name="point"/>.</summary>
    /// <exception cref="InvalidOperationException">That arm has no run at that point (a planning bug).</exception>
    ArmOutcome Of(string arm, int point);

    /// <summary>The outcome at <paramref name="point"/> of the arm the experiment's <see cref="ExperimentDefinition.Points"/> match to.</summary>
    /// <exception cref="InvalidOperationException">The experiment matches no arm to points.</exception>
    ArmOutcome Reference(int point);
}

/// <summary>
/// One method in an experiment. An arm has runs at one or more points (0 when it has a single run) for every seed,
/// may derive them from an earlier arm's outcomes (<see cref="Source"/>), and offers its own outcomes to later arms.
/// A new kind of arm, such as a control, is one class: the planner, run store, summary, tables, charts and CLI take
/// it as it is.
/// </summary>
public abstract class ExperimentArm
{
    /// <summary>Names the arm; it must be unique in its experiment and is the label in every table and chart.</summary>
    protected ExperimentArm(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The arm's name.</summary>
    public string Name { get; }

    /// <summary>The arm whose outcomes this one derives from, or null.</summary>
    public virtual string? Source => null;

    /// <summary>The arms whose runs (for the same seed) must finish before this arm's runs can be resolved: by default its <see cref="Source"/>.</summary>
    public virtual IReadOnlyList<string> DependsOn(ExperimentDefinition experiment) => Source is { } source ? [source] : [];

    /// <summary>Epochs of the first round after which the source's runs must keep their weights for this arm (a rewind to epoch k).</summary>
    public virtual IReadOnlyList<int> SourceWeightEpochs => [];

    /// <summary>Epochs of one training of this arm's runs (each IMP round): the experiment's, unless the arm says otherwise.</summary>
    public virtual int EpochsPerRound(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return experiment.Training.Epochs;
    }

    /// <summary>One line for the report's list of arms: what the arm runs.</summary>
    public abstract string Describe();

    /// <summary>The points this arm has a run at, for each seed.</summary>
    public abstract IReadOnlyList<int> RunPoints(ExperimentDefinition experiment);

    /// <summary>The points later arms may derive from (by default, the run points).</summary>
    public virtual IReadOnlyList<int> OutcomePoints(ExperimentDefinition experiment) => RunPoints(experiment);

    /// <summary>What to run at <paramref name="point"/> for <paramref name="seed"/>, given the earlier arms' outcomes for that seed.</summary>
    public abstract RunRequest Resolve(int point, long seed, IArmOutcomes outcomes);

    /// <summary>This arm's outcome at <paramref name="point"/>, from its run there: by default that run's last round.</summary>
    public virtual ArmOutcome Outcome(int point, IReadOnlyDictionary<int, (string Run, RunResult Result)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var (run, result) = runs.TryGetValue(point, out var found) ? found
            : throw new InvalidOperationException($"Arm {Name} has no run at point {point}.");
        return new ArmOutcome(run, result, result.Rounds.Count - 1);
    }

    /// <summary>Checks the arm against its experiment; the message names the arm and what to change.</summary>
    /// <exception cref="ArgumentException">The arm does not fit the experiment.</exception>
    public virtual void Validate(ExperimentDefinition experiment)
    {
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Describe()}";
}
