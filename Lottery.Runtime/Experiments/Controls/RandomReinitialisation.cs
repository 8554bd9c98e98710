using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>
/// The lottery ticket's key control (Frankle and Carbin 2019): the source's mask at each point, trained from fresh
/// random weights the ticket never had. If the ticket's own initial weights matter, this does worse.
/// </summary>
public sealed class RandomReinitialisation : ControlArm
{
    /// <summary>The seed of the fresh weights for training seed s is s + this.</summary>
    public const long SeedOffset = 1_000_000;

    /// <summary>The control of <paramref name="source"/>, named <c>&lt;source&gt;RandomReinit</c>.</summary>
    public RandomReinitialisation(string source)
        : base(source, source + "RandomReinit")
    {
    }

    /// <inheritdoc/>
    public override string Describe() => $"{SourceArm}'s mask at each point, trained from random weights (seed + {SeedOffset:N0})";

    /// <inheritdoc/>
    public override RunRequest Resolve(int point, long seed, IArmOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return new RunRequest(PruningMethod.Dense with { InitSeed = seed + SeedOffset }, outcomes.Of(SourceArm, point).Mask);
    }
}
