using System.Runtime.InteropServices;
using System.Text.Json;
using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Runs;

/// <summary>
/// A run's checkpoint format: where the loop stands (as JSON), the model's state, the rewind snapshots, the
/// trainer's state (iteration, learning-rate clock, batch order, optimizer moments), the random-pruning
/// generator and, for a run whose criterion gathers scores during training, what its accumulators hold (after the model's
/// state, and only then, so the checkpoints of every other run are as they were), written to and restored from a
/// <see cref="CheckpointStore"/>. A checkpoint is read and checked whole
/// before anything of the run is changed. Its tensors are written as CPU tensors (TorchSharp's <c>Tensor.Save</c> copies
/// a GPU tensor to the CPU), so a checkpoint resumes on any device: restoring copies them onto the run's.
/// </summary>
internal sealed class RunCheckpoint(nn.Module model, MaskSet? masks, Rewinding rewinding, Trainer trainer, Generator random, IReadOnlyDictionary<IPruningCriterion, ICriterionAccumulator> accumulators) : IDisposable
{
    // One buffer for every checkpoint of the run: no large allocation per epoch.
    private readonly MemoryStream buffer = new();

    /// <summary>Writes the run's whole state as the store's newest checkpoint.</summary>
    public void Save(CheckpointStore store, RunState state)
    {
        buffer.SetLength(0);
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(JsonSerializer.Serialize(state, AtomicFile.Json));
            TensorFile.Write(writer, model.state_dict());
            if (accumulators.Count > 0)
            {
                TensorFile.Write(writer, AccumulatedState());
            }

            // The masks no state dictionary holds (a Transformer layer's, kept in the mask set), by their parameters' names.
            if (masks is not null)
            {
                TensorFile.Write(writer, MaskState(masks));
            }

            rewinding.Write(writer);
            trainer.SaveState(writer);
            using var randomState = random.get_state();
            randomState.Save(writer);
        }

        store.Write(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>
    /// Restores the newest whole checkpoint of <paramref name="store"/> into the run and returns where the loop
    /// stood, or null when there is none. One that does not fit the run is reported and set aside, and the one
    /// before it is tried.
    /// </summary>
    /// <exception cref="InvalidDataException">A checkpoint failed after part of it was loaded; the message says what to do.</exception>
    public RunState? Resume(CheckpointStore store)
    {
        while (store.ReadNewest() is var (path, payload))
        {
            var changed = false;
            try
            {
                return Restore(payload, ref changed);
            }
            catch (Exception error) when (error is InvalidDataException or EndOfStreamException or JsonException or ArgumentException or InvalidOperationException or KeyNotFoundException or ExternalException)
            {
                // Passed its checksum but does not fit this run (written by other code or other settings).
                store.Reject(path, error.Message);
                if (changed)
                {
                    // Part of it was already loaded: going on in this process would mix two states.
                    throw new InvalidDataException(
                        $"Checkpoint '{path}' could not be restored ({error.Message}) after part of it was loaded; it was set aside. "
                        + $"Run the same command again to resume from the checkpoint before it, or delete '{store.Directory}' to train the run from the start.",
                        error);
                }
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public void Dispose() => buffer.Dispose();

    /// <summary>Every accumulator's tensors, named <c>{criterion}/{name}</c>.</summary>
    private Dictionary<string, Tensor> AccumulatedState() =>
        accumulators.SelectMany(a => a.Value.State.Select(s => ($"{a.Key.Name}/{s.Key}", s.Value))).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    private static Dictionary<string, Tensor> MaskState(MaskSet masks) => masks.MasksKeptInSet.ToDictionary(w => w.Name, w => w.Mask, StringComparer.Ordinal);

    private RunState Restore(byte[] payload, ref bool changed)
    {
        using var reader = new BinaryReader(new MemoryStream(payload), System.Text.Encoding.UTF8);
        var state = JsonSerializer.Deserialize<RunState>(reader.ReadString(), AtomicFile.Json)
            ?? throw new InvalidDataException("The checkpoint holds no run state.");
        var tensors = TensorFile.Read(reader);
        Dictionary<string, Tensor> accumulated = [];
        Dictionary<string, Tensor> savedMasks = [];
        Dictionary<int, WeightSnapshot> restored = [];
        try
        {
            if (accumulators.Count > 0)
            {
                accumulated = TensorFile.Read(reader);
            }

            if (masks is not null)
            {
                savedMasks = TensorFile.Read(reader);
            }

            // Everything is read and checked before anything of the run is changed.
            var current = model.state_dict();
            foreach (var (name, value) in current)
            {
                if (!tensors.TryGetValue(name, out var saved) || !saved.shape.SequenceEqual(value.shape) || saved.dtype != value.dtype)
                {
                    throw new InvalidDataException($"it has no tensor '{name}' of shape [{string.Join(", ", value.shape)}] and type {value.dtype}");
                }
            }

            var live = AccumulatedState();
            foreach (var (name, value) in live)
            {
                if (!accumulated.TryGetValue(name, out var saved) || !saved.shape.SequenceEqual(value.shape) || saved.dtype != value.dtype)
                {
                    throw new InvalidDataException($"it has no accumulated '{name}' of shape [{string.Join(", ", value.shape)}] and type {value.dtype}");
                }
            }

            var ownMasks = masks is null ? [] : MaskState(masks);
            foreach (var (name, value) in ownMasks)
            {
                if (!savedMasks.TryGetValue(name, out var saved) || !saved.shape.SequenceEqual(value.shape))
                {
                    throw new InvalidDataException($"it has no mask '{name}' of shape [{string.Join(", ", value.shape)}]");
                }
            }

            restored = Rewinding.Read(reader, trainer.Device);
            changed = true;
            using (no_grad())
            {
                foreach (var (name, value) in current)
                {
                    value.copy_(tensors[name]);
                }

                foreach (var (name, value) in live)
                {
                    value.copy_(accumulated[name]);
                }

                foreach (var (name, value) in ownMasks)
                {
                    value.copy_(savedMasks[name]);
                }
            }

            rewinding.Replace(restored);
            trainer.LoadState(reader);
            using (var randomState = TensorExtensionMethods.Load(reader))
            {
                random.set_state(randomState);
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values.Concat(accumulated.Values).Concat(savedMasks.Values))
            {
                tensor.Dispose();
            }

            foreach (var snapshot in restored.Values)
            {
                snapshot.Dispose();
            }
        }

        masks?.RefreshRemaining();
        return state;
    }
}
