using Lottery.Runs;
using Lottery.Schedules;

namespace Lottery.Experiments;

/// <summary>
/// A one-run method run to each of the experiment's matched points: at point k its target is the weights remaining
/// the reference arm (<see cref="ExperimentDefinition.Points"/>, usually IMP) reached after its round k, for the same
/// seed. The comparison the project was started for: is one run as good as IMP at IMP's own sparsities?
/// </summary>
public sealed class MatchedArm : ExperimentArm
{
    /// <summary>An arm named <paramref name="name"/> running <paramref name="method"/> to the matched points.</summary>
    public MatchedArm(string name, PruningMethod method)
        : base(name)
    {
        Method = method ?? throw new ArgumentNullException(nameof(method));
        if (method.Schedule is not { } kind || !ScheduleDescriptor.Of(kind).RunsToTarget)
        {
            throw new ArgumentException($"Arm {name}: only a method that prunes to a target within one run ({string.Join(", ", ScheduleDescriptor.All.Where(d => d.RunsToTarget).Select(d => d.Kind))}) can be matched to points, not {method.Schedule?.ToString() ?? "a dense run"}.", nameof(method));
        }
    }

    /// <summary>The method; its target is replaced at each point.</summary>
    public PruningMethod Method { get; }

    /// <summary>The method's own epochs when it gives them (<see cref="PruningMethod.Epochs"/>), otherwise the experiment's.</summary>
    public override int EpochsPerRound(ExperimentDefinition experiment) => Method.Epochs ?? base.EpochsPerRound(experiment);

    /// <inheritdoc/>
    public override string Describe() => $"{Method with { TargetRemaining = null }}, to the reference arm's weights remaining at each point";

    /// <inheritdoc/>
    public override IReadOnlyList<int> RunPoints(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return (experiment.Points ?? throw new ArgumentException($"Arm {Name} is matched to points, but the experiment names none: give it Points (the reference arm and its rounds).")).Rounds;
    }

    /// <summary>The reference arm: its runs decide this arm's targets.</summary>
    public override IReadOnlyList<string> DependsOn(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return experiment.Points is { } points ? [points.Reference] : [];
    }

    /// <inheritdoc/>
    public override RunRequest Resolve(int point, long seed, IArmOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return new RunRequest(Method with { TargetRemaining = outcomes.Reference(point).WeightsRemaining });
    }

    /// <inheritdoc/>
    public override void Validate(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var points = experiment.Points ?? throw new ArgumentException($"Arm {Name} is matched to points, but the experiment names none: give it Points (the reference arm and its rounds).");
        var epochs = EpochsPerRound(experiment);
        if (ScheduleDescriptor.Of(Method.Schedule!.Value).EventsWithin(Method.Values, epochs) is { } events
            && experiment.Arms.FirstOrDefault(a => a.Name == points.Reference) is MethodArm { Method.TrainsInRounds: true } matched)
        {
            // Pruning at the same rate as IMP takes as many events as IMP's rounds; layers with their own rates follow both alike.
            var deepest = points.Rounds.Max();
            var needed = Reach.EventsToMatch(deepest, matched.Method.Rate, Method.Rate);
            if (events < needed)
            {
                throw new ArgumentException(
                    $"Arm {Name} prunes after epochs {Method.StartEpoch ?? 1} to {Math.Min(epochs, Method.EndEpoch ?? int.MaxValue)}: {events} pruning events at {Method.Rate:0.###}, "
                    + $"but {points.Reference}'s round {deepest} takes {needed}. Train more epochs (Epochs, --epochs), end pruning later, or match to earlier rounds (Points, --points).");
            }
        }
    }
}
