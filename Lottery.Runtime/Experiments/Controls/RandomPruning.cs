using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>
/// Random pruning to the same point: the source's mask at each point with its entries shuffled within each layer (the
/// same sparsity per layer, random positions), trained from the run's own initial weights. Does the source choose
/// which weights to keep better than chance, at the same layerwise sparsity?
/// </summary>
public sealed class RandomPruning : ControlArm
{
    /// <summary>The shuffle's seed for training seed s is s + this.</summary>
    public const long SeedOffset = 2_000_000;

    /// <summary>The control of <paramref name="source"/>, named <c>&lt;source&gt;RandomPruning</c>.</summary>
    public RandomPruning(string source)
        : base(source, source + "RandomPruning")
    {
    }

    /// <inheritdoc/>
    public override string Describe() => $"{SourceArm}'s mask at each point, shuffled within each layer (seed + {SeedOffset:N0}), trained from initialisation";

    /// <inheritdoc/>
    public override RunRequest Resolve(int point, long seed, IArmOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return new RunRequest(PruningMethod.Dense, outcomes.Of(SourceArm, point).Mask with { ShuffleSeed = seed + SeedOffset });
    }
}
