namespace Lottery.Schedules;

/// <summary>The rewinding done after each pruning event.</summary>
/// <param name="Kind">What is rewound.</param>
/// <param name="Epoch">For <see cref="RewindKind.ToEpoch"/>: the epoch whose weights are restored.</param>
public readonly record struct Rewind(RewindKind Kind, int Epoch = 0)
{
    /// <summary>No rewinding.</summary>
    public static Rewind None => new(RewindKind.None);

    /// <summary>Rewind to initialisation.</summary>
    public static Rewind ToInit => new(RewindKind.ToInit);

    /// <summary>Learning-rate rewinding.</summary>
    public static Rewind LearningRate => new(RewindKind.LearningRate);

    /// <summary>Whether the weights are restored from a snapshot.</summary>
    public bool RestoresWeights => Kind is RewindKind.ToInit or RewindKind.ToEpoch;

    /// <summary>The epoch whose end-of-epoch weights are restored (0 is initialisation).</summary>
    public int SnapshotEpoch => Kind == RewindKind.ToEpoch ? Epoch : 0;

    /// <summary>Rewind to the weights after epoch <paramref name="epoch"/> (0 means initialisation).</summary>
    public static Rewind ToEpoch(int epoch) =>
        epoch >= 0 ? new(RewindKind.ToEpoch, epoch) : throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "The rewind epoch must be 0 (initialisation) or later.");

    /// <inheritdoc/>
    public override string ToString() => Kind == RewindKind.ToEpoch ? $"ToEpoch({Epoch})" : Kind.ToString();
}
