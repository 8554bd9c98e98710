using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>
/// An arm that runs one pruning method once per seed, as declared: dense, IMP (whose rounds are its points, one row
/// each), or a one-run method to its own target.
/// </summary>
public sealed class MethodArm : ExperimentArm
{
    /// <summary>An arm named <paramref name="name"/> running <paramref name="method"/>.</summary>
    public MethodArm(string name, PruningMethod method)
        : base(name) => Method = (method ?? throw new ArgumentNullException(nameof(method))).Validate();

    /// <summary>The method.</summary>
    public PruningMethod Method { get; }

    /// <summary>The method's own epochs when it gives them (<see cref="PruningMethod.Epochs"/>), otherwise the experiment's.</summary>
    public override int EpochsPerRound(ExperimentDefinition experiment) => Method.Epochs ?? base.EpochsPerRound(experiment);

    /// <inheritdoc/>
    public override string Describe() => Method.ToString();

    /// <inheritdoc/>
    public override IReadOnlyList<int> RunPoints(ExperimentDefinition experiment) => [0];

    /// <summary>IMP's rounds (the experiment's matched points when they come from this arm); 0 for any other method.</summary>
    public override IReadOnlyList<int> OutcomePoints(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (!Method.TrainsInRounds)
        {
            return [0];
        }

        return experiment.Points is { } points && points.Reference == Name
            ? points.Rounds
            : Enumerable.Range(1, Method.TrainingRounds - 1).ToList();
    }

    /// <inheritdoc/>
    public override RunRequest Resolve(int point, long seed, IArmOutcomes outcomes) => new(Method);

    /// <summary>For IMP, the point is a round of its one run; otherwise the run's last round.</summary>
    public override ArmOutcome Outcome(int point, IReadOnlyDictionary<int, (string Run, RunResult Result)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var (run, result) = runs[0];
        if (!Method.TrainsInRounds || point == 0)
        {
            return new ArmOutcome(run, result, result.Rounds.Count - 1);
        }

        return point < result.Rounds.Count
            ? new ArmOutcome(run, result, point)
            : throw new InvalidOperationException($"Arm {Name} ended after {result.Rounds.Count - 1} rounds; it has no round {point}.");
    }
}
