using System.Text.Json;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// A ticket, as the Lottery Ticket Hypothesis means it: the masks together with the weights training starts from
/// (initialisation, or the rewind epoch), saved in Lottery's sparse file, whose size follows the weights remaining.
/// Train it again to test whether it wins. The trained result is a <see cref="PrunedModel"/>, a different file.
/// </summary>
/// <remarks>A run saves its ticket with <see cref="Runs.PruningRun.SaveTicket"/>; a generated model loads one with <c>LoadTicket</c>.</remarks>
public static class Ticket
{
    /// <summary>
    /// Saves <paramref name="model"/>'s current weights, which must be the weights training starts from, with its
    /// masks as a ticket; pruned weights are zeroed first. Written beside the target and moved over it, so an
    /// interrupted save leaves the old file whole.
    /// </summary>
    public static void Save(nn.Module model, MaskSet masks, string path) => SparseArtifact.Save(ArtifactKind.Ticket, model, masks, path);

    /// <summary>
    /// Loads a ticket saved by <see cref="Save"/> (or by a run) into <paramref name="model"/>, whose masks must be
    /// attached, and recounts the weights remaining. Tickets saved by Lottery before its sparse files (TorchSharp's
    /// own format, masks as buffers) still load.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged, is a pruned model rather than a ticket, or belongs to a model of other layers or shapes;
    /// the message names the file and the difference.
    /// </exception>
    public static void Load(nn.Module model, MaskSet masks, string path)
    {
        ArgumentNullException.ThrowIfNull(masks);
        SparseArtifact.Load(ArtifactKind.Ticket, model, masks, path);
    }
}

/// <summary>
/// A pruned model: the masks together with the trained weights, in Lottery's sparse file. It is what an
/// application runs; <see cref="SavePlain"/> writes it as a plain state dictionary that the model class loads with
/// no masks at all, and <c>Lottery.Compaction</c> makes it physically smaller.
/// </summary>
public static class PrunedModel
{
    /// <summary>Saves <paramref name="model"/>'s current (trained) weights with its masks; pruned weights are zeroed first. Written atomically.</summary>
    public static void Save(nn.Module model, MaskSet masks, string path) => SparseArtifact.Save(ArtifactKind.PrunedModel, model, masks, path);

    /// <summary>
    /// Loads a pruned model saved by <see cref="Save"/> into <paramref name="model"/>. With <paramref name="masks"/>
    /// (or mask buffers already on the model) the masks load too; without, the model is a plain one: it gets the
    /// weights, pruned entries zero, and no masks.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged, is a ticket rather than a pruned model, or belongs to a model of other layers or shapes.
    /// </exception>
    public static void Load(nn.Module model, string path, MaskSet? masks = null) => SparseArtifact.Load(ArtifactKind.PrunedModel, model, masks, path);

    /// <summary>
    /// Writes the model's weights (pruned entries zero) without any mask buffer, in TorchSharp's own format: a plain
    /// copy of the model class, even one without Lottery's attributes, loads it with <c>model.load(path)</c>.
    /// </summary>
    public static void SavePlain(nn.Module model, MaskSet masks, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        masks.ApplyToWeights();
        var skip = model.state_dict().Keys.Where(MaskSet.IsMaskBuffer).ToList();
        AtomicFile.Write(path, temporary => model.save(temporary, skip));
    }
}

/// <summary>
/// A compacted model's file: the weights of a model made smaller in place (<see cref="Compaction.Compactor.CompactInPlace(nn.Module{Tensor, Tensor}, Tensor, MaskSet?)"/>)
/// with the sizes of its resized modules, and its masks when it has any (a compacted model pruned weight by weight too).
/// A fresh instance of the class is resized to those sizes before the weights load, so the file needs no code but the class.
/// </summary>
public static class CompactedModel
{
    /// <summary>Saves <paramref name="model"/>, compacted, with its modules' sizes and, when given, its masks. Written atomically.</summary>
    public static void Save(nn.Module model, string path, MaskSet? masks = null) => SparseArtifact.Save(ArtifactKind.CompactedModel, model, masks ?? (model as IPrunableModel)?.Masks, path);

    /// <summary>
    /// Loads a compacted model saved by <see cref="Save"/> into <paramref name="model"/>, a fresh instance of the class it
    /// was compacted from: its modules are resized first, then the weights (and masks, with <paramref name="masks"/> or
    /// mask buffers on the model) load.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, is not a compacted model, or belongs to another class.</exception>
    public static void Load(nn.Module model, string path, MaskSet? masks = null) => SparseArtifact.Load(ArtifactKind.CompactedModel, model, masks ?? (model as IPrunableModel)?.Masks, path);
}

/// <summary>What a sparse file holds, read without a model: which artifact, of which model class, and its counts.</summary>
/// <param name="Kind">Ticket or pruned model.</param>
/// <param name="ModelType">The full name of the model class it was saved from.</param>
/// <param name="Parameters">Entries of every parameter and buffer.</param>
/// <param name="Masked">Entries of the masked parameters (a structured layer's bias, masked with its units, included).</param>
/// <param name="Remaining">Entries of the masked parameters that survive (the same).</param>
/// <param name="Bytes">The file's size.</param>
public sealed record ArtifactInfo(ArtifactKind Kind, string ModelType, long Parameters, long Masked, long Remaining, long Bytes)
{
    /// <summary>Which artifact the sparse file at <paramref name="path"/> holds, and of which model class, read from its first bytes alone (the rest is checked when it loads).</summary>
    /// <exception cref="FileNotFoundException">No file there.</exception>
    /// <exception cref="InvalidDataException">It is not a sparse file.</exception>
    public static (ArtifactKind Kind, string ModelType) ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return SparseStateFile.ReadHeader(path);
    }

    /// <summary>Reads the description of the sparse file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file there.</exception>
    /// <exception cref="InvalidDataException">It is not a sparse file, or it is damaged.</exception>
    public static ArtifactInfo Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = SparseStateFile.Load(path);
        using var scope = NewDisposeScope();
        var masked = file.Masks.Sum(m => m.Value.numel());
        var remaining = file.Masks.Sum(m => m.Value.count_nonzero().item<long>());
        return new ArtifactInfo(file.Kind, file.ModelType, file.Values.Sum(v => v.Value.numel()), masked, remaining, new FileInfo(path).Length);
    }
}

/// <summary>Saving and loading either artifact in the sparse file, with the checks both share.</summary>
internal static class SparseArtifact
{
    public static void Save(ArtifactKind kind, nn.Module model, MaskSet? masks, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (kind != ArtifactKind.CompactedModel)
        {
            ArgumentNullException.ThrowIfNull(masks);
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        masks?.ApplyToWeights();
        var sizes = kind == ArtifactKind.CompactedModel ? JsonSerializer.Serialize(Compaction.ModuleSizes.Of(model)) : null;
        SparseStateFile.Save(path, kind, model, model.state_dict(), masks?.Weights.ToDictionary(w => w.Name, w => w.Mask) ?? [], sizes);
    }

    public static void Load(ArtifactKind expected, nn.Module model, MaskSet? masks, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var what = Describe(expected);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No {what} at '{path}'. Save one first ({(expected == ArtifactKind.Ticket ? "SaveTicket" : "SavePrunedModel")}), or check the path.", path);
        }

        if (!SparseStateFile.LooksLikeSparseFile(path))
        {
            LoadLegacy(model, masks, path, what);
            return;
        }

        using var file = SparseStateFile.Load(path);
        if (file.Kind != expected)
        {
            var loader = file.Kind switch
            {
                ArtifactKind.Ticket => "LoadTicket (Ticket.Load)",
                ArtifactKind.CompactedModel => "CompactedModel.Load, or SavedModels.Load",
                _ => "LoadPrunedModel (PrunedModel.Load)",
            };
            throw new InvalidDataException($"'{path}' is a {Describe(file.Kind)} ({Contents(file.Kind)}), not a {what}: load it with {loader}.");
        }

        if (file.Kind == ArtifactKind.CompactedModel)
        {
            Resize(model, masks, file, path);
        }

        var modelName = model.GetType().Name;
        var state = model.state_dict();
        var names = state.Keys.Where(k => !MaskSet.IsMaskBuffer(k)).ToHashSet(StringComparer.Ordinal);
        var missing = names.Where(n => !file.Values.ContainsKey(n)).ToList();
        var extra = file.Values.Keys.Where(n => !names.Contains(n)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            throw new InvalidDataException(
                $"'{path}' is a {what} of {file.ModelType}, whose layers differ from {modelName}'s"
                + (missing.Count > 0 ? $"; not in the file: {string.Join(", ", missing)}" : string.Empty)
                + (extra.Count > 0 ? $"; not in {modelName}: {string.Join(", ", extra)}" : string.Empty)
                + $". A {what} loads only into the model class and layer sizes it was saved from.");
        }

        foreach (var (name, values) in file.Values)
        {
            var target = state[name];
            if (!target.shape.SequenceEqual(values.shape) || target.dtype != values.dtype)
            {
                throw new InvalidDataException(
                    $"'{path}' is a {what} of {file.ModelType} in which {name} is {Shape(values)} {values.dtype}, but in {modelName} it is {Shape(target)} {target.dtype}. Load it into a model of the same layer sizes.");
            }
        }

        foreach (var weight in masks?.Weights ?? [])
        {
            if (!file.Masks.ContainsKey(weight.Name))
            {
                throw new InvalidDataException(
                    $"'{path}' has no mask for {weight.Name}, which {modelName} prunes: it was saved from a model that does not prune that layer. Declare the same [Prunable] layers as the model it came from.");
            }
        }

        // Masks the file has and the loading model's declarations do not make (attached by hand when it was saved) are
        // attached now, so that no mask is lost: one optimizer step later its layer would be dense again.
        foreach (var name in file.Masks.Keys.Where(n => masks is not null && !masks.Weights.Any(w => w.Name == n)))
        {
            masks!.Include(name, path);
        }

        state = model.state_dict();
        using (var noGrad = no_grad())
        {
            foreach (var (name, values) in file.Values)
            {
                state[name].copy_(values);
            }

            foreach (var (name, mask) in file.Masks)
            {
                if (state.TryGetValue(name + MaskSet.MaskBufferSuffix, out var buffer))
                {
                    buffer.copy_(mask);
                }
                else if (masks?.Weights.FirstOrDefault(w => w.Name == name) is { } held)
                {
                    // A mask the set holds itself (a parameter under a dotted name, MaskOptions.Parameters).
                    held.Mask.copy_(mask);
                }
            }
        }

        masks?.RefreshRemaining();
    }

    private static void LoadLegacy(nn.Module model, MaskSet? masks, string path, string what)
    {
        try
        {
            model.load(path, strict: masks is not null);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or IOException or NotImplementedException)
        {
            throw new InvalidDataException(
                $"'{path}' is not a {what} of {model.GetType().Name}: it is neither a Lottery sparse file nor a ticket in TorchSharp's format that fits this model ({error.Message}).",
                error);
        }

        masks?.RefreshRemaining();
        masks?.ApplyToWeights();
    }

    // A fresh instance of the class takes the compacted sizes before the weights load: its modules' sizes from the file's
    // JSON, its parameters' and buffers' shapes from the file's entries (a mask buffer's from its mask).
    private static void Resize(nn.Module model, MaskSet? masks, SparseState file, string path)
    {
        Dictionary<string, Compaction.ModuleSizes>? sizes;
        try
        {
            sizes = JsonSerializer.Deserialize<Dictionary<string, Compaction.ModuleSizes>>(file.Sizes ?? "null");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"'{path}' is a compacted model whose module sizes cannot be read ({error.Message}).", error);
        }

        if (sizes is null || sizes.Values.Any(s => s?.Kind is null || s.Sizes is null))
        {
            throw new InvalidDataException($"'{path}' is a compacted model without its module sizes.");
        }

        var shapes = file.Values.ToDictionary(v => v.Key, v => v.Value.shape, StringComparer.Ordinal);
        foreach (var (name, mask) in file.Masks)
        {
            shapes[name + MaskSet.MaskBufferSuffix] = mask.shape;
        }

        Compaction.Compactor.Resize(model, sizes, shapes);
        using var noGrad = no_grad();
        foreach (var weight in masks?.Weights.Where(w => !w.Mask.shape.SequenceEqual(w.Parameter.shape)) ?? [])
        {
            using var ones = ones_like(weight.Parameter);
            weight.Mask.set_(ones);
        }

        // The initial weights the fresh instance's masks captured have its old shapes: take them again at the new ones.
        masks?.CaptureInitialWeights();
    }

    private static string Describe(ArtifactKind kind) => kind switch
    {
        ArtifactKind.Ticket => "ticket",
        ArtifactKind.CompactedModel => "compacted model",
        _ => "pruned model",
    };

    private static string Contents(ArtifactKind kind) => kind switch
    {
        ArtifactKind.Ticket => "masks with the weights training starts from",
        ArtifactKind.CompactedModel => "the trained weights of a model made smaller, with their sizes",
        _ => "masks with trained weights",
    };

    private static string Shape(Tensor tensor) => string.Join("x", tensor.shape);
}
