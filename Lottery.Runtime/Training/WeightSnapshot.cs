using Lottery.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Training;

/// <summary>
/// A copy of every parameter and buffer of a model except its masks, restored bit for bit by
/// <see cref="RestoreInto"/>. Owns its tensors, which live where the model's do; saved, they are CPU tensors that load
/// onto any device.
/// </summary>
public sealed class WeightSnapshot : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    private WeightSnapshot(Dictionary<string, Tensor> tensors) => this.tensors = tensors;

    /// <summary>Copies the model's current state, masks excluded.</summary>
    public static WeightSnapshot Take(nn.Module model)
    {
        using var noGrad = no_grad();
        var copy = model.state_dict()
            .Where(entry => !MaskSet.IsMaskBuffer(entry.Key))
            .ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone().DetachFromDisposeScope());
        return new WeightSnapshot(copy);
    }

    /// <summary>The copied tensor for a state-dictionary name (for example <c>fc1.weight</c>).</summary>
    public Tensor this[string name] => tensors[name];

    /// <summary>Copies the snapshot back into <paramref name="model"/> in place (the optimizer keeps its parameters).</summary>
    public void RestoreInto(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in model.state_dict())
        {
            if (tensors.TryGetValue(name, out var saved))
            {
                value.copy_(saved);
            }
        }
    }

    /// <summary>Writes the copied tensors (for a checkpoint).</summary>
    public void Write(BinaryWriter writer) => TensorFile.Write(writer, tensors);

    /// <summary>Saves the copied tensors to <paramref name="path"/> (written atomically).</summary>
    public void Save(string path) => TensorFile.Save(path, tensors);

    /// <summary>Loads a snapshot saved by <see cref="Save"/>, onto <paramref name="device"/> (default: the CPU).</summary>
    public static WeightSnapshot Load(string path, Device? device = null) => new(MoveTo(TensorFile.Load(path), device));

    /// <summary>Reads a snapshot written by <see cref="Write"/>, onto <paramref name="device"/> (default: the CPU).</summary>
    public static WeightSnapshot Read(BinaryReader reader, Device? device = null) => new(MoveTo(TensorFile.Read(reader), device));

    // Read tensors are CPU tensors; a run on a GPU keeps its snapshots there, so a rewind copies within the device.
    private static Dictionary<string, Tensor> MoveTo(Dictionary<string, Tensor> tensors, Device? device)
    {
        if (device is null || device.type == DeviceType.CPU)
        {
            return tensors;
        }

        foreach (var name in tensors.Keys.ToList())
        {
            var moved = tensors[name].to(device).DetachFromDisposeScope();
            tensors[name].Dispose();
            tensors[name] = moved;
        }

        return tensors;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }

        tensors.Clear();
    }
}
