using Lottery.Criteria;
using Lottery.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Runs;

/// <summary>
/// The training batches a run's pruning event offers criteria that score on data: drawn without replacement by a
/// generator seeded from the run's seed, round and epoch, so an event draws the same batch in a run resumed from a
/// checkpoint, and no other random stream of the run (batch order, random pruning) moves. Nothing is drawn until a
/// criterion asks.
/// </summary>
internal sealed class ScoringBatches(TensorDataSet train, long seed, int round, int epoch, Device device) : IScoringData
{
    /// <inheritdoc/>
    public (Tensor Inputs, Tensor Labels) Draw(int size)
    {
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A scoring batch needs at least 1 example; give ScoringBatchSize 1 or more, for example 100.");
        }

        if (train.Count == 0)
        {
            throw new InvalidOperationException($"The training set {train.Name} is empty: there is no batch to score on.");
        }

        using var generator = new Generator(unchecked(((ulong)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)round << 40) ^ ((ulong)epoch << 20) ^ 0x5EEDUL));
        var chosen = randperm(train.Count, generator: generator).narrow(0, 0, Math.Min(size, train.Count));
        if (train.Inputs.device_type != DeviceType.CPU)
        {
            chosen = chosen.to(train.Inputs.device);
        }

        return (train.Inputs.index_select(0, chosen).to(device), train.Labels.index_select(0, chosen).to(device));
    }
}
