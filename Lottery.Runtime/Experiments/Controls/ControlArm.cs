namespace Lottery.Experiments;

/// <summary>
/// A control: an arm derived from another arm's runs (its <see cref="Source"/>), with a run at each of the source's
/// points. Declare one on an experiment with <see cref="ControlAttribute"/>; a new control is one class deriving
/// from this one with a public constructor taking the source arm's name.
/// </summary>
public abstract class ControlArm : ExperimentArm
{
    /// <summary>A control of <paramref name="source"/>, named <paramref name="name"/>.</summary>
    protected ControlArm(string source, string name)
        : base(name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        SourceArm = source;
    }

    /// <summary>The arm this control is derived from.</summary>
    public string SourceArm { get; }

    /// <inheritdoc/>
    public override string? Source => SourceArm;

    /// <summary>As long as the source's runs train: a control changes one thing only.</summary>
    public override int EpochsPerRound(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return experiment.Arms.FirstOrDefault(a => a.Name == SourceArm)?.EpochsPerRound(experiment) ?? base.EpochsPerRound(experiment);
    }

    /// <summary>The source's outcome points: IMP's matched rounds, a matched arm's points, or 0.</summary>
    public override IReadOnlyList<int> RunPoints(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var source = experiment.Arms.FirstOrDefault(a => a.Name == SourceArm)
            ?? throw new ArgumentException($"Arms: control {Name} derives from {SourceArm}, which is not an arm of the experiment; arms: {string.Join(", ", experiment.Arms.Select(a => a.Name))}.");
        return source.OutcomePoints(experiment);
    }
}
