using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>
/// Is a one-run mask a winning ticket? The source's final mask at each point, rewound once and trained again: to the
/// run's own initial weights, or (with an epoch) to the source run's weights after that epoch, as late rewinding
/// does (Frankle et al. 2020). As good as the source: the mask is a ticket; worse: it only works with the weights it
/// was found with. The learning-rate schedule starts again from its beginning.
/// </summary>
public sealed class RewindOnce : ControlArm
{
    /// <summary>The control of <paramref name="source"/> rewinding to initialisation, named <c>&lt;source&gt;RewindOnce</c>.</summary>
    public RewindOnce(string source)
        : this(source, 0)
    {
    }

    /// <summary>The control of <paramref name="source"/> rewinding to its weights after <paramref name="epoch"/> (0: initialisation), named <c>&lt;source&gt;RewindOnceToEpoch&lt;k&gt;</c>.</summary>
    public RewindOnce(string source, int epoch)
        : base(source, epoch == 0 ? source + "RewindOnce" : $"{source}RewindOnceToEpoch{epoch}")
    {
        Epoch = epoch >= 0 ? epoch : throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "Rewind to epoch 0 (initialisation) or later.");
    }

    /// <summary>The epoch of the source's first round whose weights training restarts from; 0 for initialisation.</summary>
    public int Epoch { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<int> SourceWeightEpochs => Epoch > 0 ? [Epoch] : [];

    /// <inheritdoc/>
    public override string Describe() => Epoch == 0
        ? $"{SourceArm}'s final mask at each point, rewound once to initialisation and trained again"
        : $"{SourceArm}'s final mask at each point, rewound once to {SourceArm}'s weights after epoch {Epoch} and trained again";

    /// <inheritdoc/>
    public override RunRequest Resolve(int point, long seed, IArmOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var source = outcomes.Of(SourceArm, point);
        return new RunRequest(PruningMethod.Dense, source.Mask, Epoch > 0 ? new Results.StartWeights(source.Run, Epoch) : null);
    }

    /// <inheritdoc/>
    public override void Validate(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var epochs = EpochsPerRound(experiment);
        if (Epoch > epochs)
        {
            throw new ArgumentException($"Arms: {Name} rewinds to epoch {Epoch}, but a training of {SourceArm} has {epochs} epochs; rewind to one of them.");
        }
    }
}
