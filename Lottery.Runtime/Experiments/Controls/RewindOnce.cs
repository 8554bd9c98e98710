using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>
/// Is a one-run mask a winning ticket? The source's final mask at each point, rewound once to the run's own initial
/// weights and trained again from there. As good as the source: the mask is a ticket; worse: it only works with the
/// weights it was found with.
/// </summary>
public sealed class RewindOnce : ControlArm
{
    /// <summary>The control of <paramref name="source"/>, named <c>&lt;source&gt;RewindOnce</c>.</summary>
    public RewindOnce(string source)
        : base(source, source + "RewindOnce")
    {
    }

    /// <inheritdoc/>
    public override string Describe() => $"{SourceArm}'s final mask at each point, rewound once to initialisation and trained again";

    /// <inheritdoc/>
    public override RunRequest Resolve(int point, long seed, IArmOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return new RunRequest(PruningMethod.Dense, outcomes.Of(SourceArm, point).Mask);
    }
}
