using Lottery.Masks;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Runs;

/// <summary>
/// A run's rewinding: the weight snapshots it may go back to (initialisation always; after epoch k of the first
/// round for late rewinding), and what a rewind does after a pruning event. Owns the snapshots.
/// </summary>
internal sealed class Rewinding : IDisposable
{
    // Weights after epoch k of round 0, by k; 0 is initialisation, always kept (the ticket's default start).
    private readonly Dictionary<int, WeightSnapshot> snapshots = [];

    /// <summary>Rewinds by <paramref name="rewind"/>; takes <paramref name="model"/>'s initial weights now.</summary>
    public Rewinding(nn.Module model, Rewind rewind)
    {
        Rewind = rewind;
        snapshots[0] = WeightSnapshot.Take(model);
    }

    /// <summary>What a rewind restores.</summary>
    public Rewind Rewind { get; }

    /// <summary>The weights a ticket of the run starts from: the rewind point's, or initialisation's before it is reached.</summary>
    public WeightSnapshot TicketStart => snapshots.GetValueOrDefault(Rewind.SnapshotEpoch) ?? snapshots[0];

    /// <summary>Makes the model's weights as they are now the run's initial weights (a mask was loaded onto them).</summary>
    public void ResetInitial(nn.Module model)
    {
        snapshots[0].Dispose();
        snapshots[0] = WeightSnapshot.Take(model);
    }

    /// <summary>After an epoch: keeps the weights late rewinding goes back to, when this is its epoch of the first round.</summary>
    public void AfterEpoch(nn.Module model, int round, int epoch)
    {
        if (round == 0 && Rewind.Kind == RewindKind.ToEpoch && Rewind.Epoch == epoch)
        {
            snapshots[epoch] = WeightSnapshot.Take(model);
        }
    }

    /// <summary>
    /// After a pruning event: weight rewinding restores the snapshot, reapplies the masks and starts a fresh
    /// optimizer with the learning-rate schedule set back to the snapshot's epoch; learning-rate rewinding restarts
    /// the learning-rate schedule and keeps the weights.
    /// </summary>
    /// <exception cref="InvalidOperationException">The snapshot is not taken yet: pruning came before the rewind epoch.</exception>
    public void Apply(nn.Module model, MaskSet masks, Trainer trainer, int round, int epoch)
    {
        switch (Rewind.Kind)
        {
            case RewindKind.ToInit:
            case RewindKind.ToEpoch:
                if (!snapshots.TryGetValue(Rewind.SnapshotEpoch, out var snapshot))
                {
                    throw new InvalidOperationException(
                        $"Rewind {Rewind} needs the weights after epoch {Rewind.SnapshotEpoch}, but the first pruning event came after epoch {epoch} of round {round}. "
                        + "Rewind to an epoch no later than the first pruning event, or start pruning later.");
                }

                snapshot.RestoreInto(model);
                masks.ApplyToWeights();
                trainer.ResetOptimizer();
                trainer.SetLearningRateEpoch(Rewind.SnapshotEpoch);
                break;
            case RewindKind.LearningRate:
                trainer.SetLearningRateEpoch(0);
                break;
            case RewindKind.None:
                break;
        }
    }

    /// <summary>Writes every snapshot, by epoch (for a checkpoint).</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write(snapshots.Count);
        foreach (var (epoch, snapshot) in snapshots.OrderBy(s => s.Key))
        {
            writer.Write(epoch);
            snapshot.Write(writer);
        }
    }

    /// <summary>Reads snapshots written by <see cref="Write"/> onto <paramref name="device"/> (the run's); the caller owns them until <see cref="Replace"/> takes them.</summary>
    public static Dictionary<int, WeightSnapshot> Read(BinaryReader reader, Device device)
    {
        var read = new Dictionary<int, WeightSnapshot>();
        try
        {
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var epoch = reader.ReadInt32();
                read[epoch] = WeightSnapshot.Read(reader, device);
            }

            return read;
        }
        catch
        {
            foreach (var snapshot in read.Values)
            {
                snapshot.Dispose();
            }

            throw;
        }
    }

    /// <summary>Takes the snapshots <paramref name="restored"/> holds in place of its own of the same epochs, and empties it.</summary>
    public void Replace(Dictionary<int, WeightSnapshot> restored)
    {
        foreach (var (epoch, snapshot) in restored)
        {
            if (snapshots.Remove(epoch, out var old))
            {
                old.Dispose();
            }

            snapshots[epoch] = snapshot;
        }

        restored.Clear();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var snapshot in snapshots.Values)
        {
            snapshot.Dispose();
        }

        snapshots.Clear();
    }
}
