using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// Saves and loads a ticket: a model's weights together with its masks, in TorchSharp's format (the masks are
/// buffers of the model, so <c>Module.save</c> carries them).
/// </summary>
public static class Ticket
{
    /// <summary>
    /// Zeroes the pruned weights and writes the model with its masks to <paramref name="path"/>. The file is
    /// written beside the target first and then moved over it, so an interrupted save leaves the old file whole.
    /// </summary>
    public static void Save(nn.Module model, MaskSet masks, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        masks.ApplyToWeights();
        AtomicFile.Write(path, temporary => model.save(temporary));
    }

    /// <summary>
    /// Loads weights and masks saved by <see cref="Save"/> into <paramref name="model"/>, whose masks must
    /// already be attached, and recounts the weights remaining.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a ticket of this model's shape.</exception>
    public static void Load(nn.Module model, MaskSet masks, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No ticket at '{path}'. Save one with SaveTicket first, or check the path.", path);
        }

        try
        {
            model.load(path, strict: true);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or IOException or NotImplementedException)
        {
            throw new InvalidDataException(
                $"'{path}' is not a ticket of {model.GetType().Name} ({error.Message}). A ticket loads only into the model class, layer sizes and pruned layers it was saved from.",
                error);
        }

        masks.RefreshRemaining();
        masks.ApplyToWeights();
    }
}
