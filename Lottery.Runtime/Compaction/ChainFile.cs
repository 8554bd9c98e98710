using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>
/// A self-describing file for a chain model, what a compacted model is saved as: it holds the kind and constructor
/// settings of every module beside the weights, so <see cref="Load"/> rebuilds the model without its code and without
/// knowing the sizes compaction left.
/// </summary>
/// <remarks>
/// <para>
/// Layout: the 8 bytes <c>LTCHAIN1</c>; the length of the description (int32, little-endian) and the description,
/// UTF-8 JSON: <c>{"format": 1, "input_shape": [784], "modules": [{"name": "fc1", "kind": "Linear", "dtype": "Float32",
/// "in_features": 784, "out_features": 90, "bias": true}, ...]}</c>; then the weights in TorchSharp's own format (what
/// <c>Module.save</c> writes: the state dictionary, named as in the chain); then the SHA-256 of everything before it.
/// The magic and the trailing checksum stay the same in every format; the format version is in the description.
/// </para>
/// <para>
/// The modules a chain file describes: Linear, Conv1d, Conv2d, BatchNorm1d/2d, MaxPool1d/2d, AvgPool1d/2d, Flatten,
/// Dropout/Dropout1d/Dropout2d, Identity and the activations ReLU, LeakyReLU, Tanh, Sigmoid, GELU, ELU and SiLU: every
/// module a compacted chain holds, with all its settings (grouped convolutions and BatchNorm without running statistics
/// included).
/// </para>
/// </remarks>
public static class ChainFile
{
    /// <summary>The format of the description this version of Lottery writes, and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private const int HashLength = 32;
    private static readonly byte[] Magic = "LTCHAIN1"u8.ToArray();

    private static readonly JsonSerializerOptions Json = new(AtomicFile.Json)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
    };

    /// <summary>
    /// Writes <paramref name="chain"/> to <paramref name="path"/> (atomically: a crash leaves the previous file as it
    /// was): the description of its modules, <paramref name="inputShape"/> when given, and its parameters and buffers.
    /// The chain is not changed.
    /// </summary>
    /// <param name="chain">
    /// A chain of the modules listed in <see cref="ChainFile"/>'s remarks, on the CPU, such as the model of a
    /// <see cref="CompactionResult"/>. Its modules must hold the parameters and buffers a fresh module of their settings
    /// has, no more: a pruned chain's mask buffers are refused (compact it first).
    /// </param>
    /// <param name="path">The file to write; its folder is created when needed.</param>
    /// <param name="inputShape">The shape of one sample, without the batch axis, kept in the file for whoever loads it; checked by running a zero sample through the chain.</param>
    /// <exception cref="ArgumentException">
    /// A module is not supported (the message names its index, name and type), or holds parameters or buffers its
    /// settings do not account for, or <paramref name="inputShape"/> is empty, not positive, or not a shape the chain runs on.
    /// </exception>
    public static void Save(Sequential chain, string path, IReadOnlyList<long>? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var modules = Describe(chain);
        if (inputShape is not null)
        {
            CheckRuns(chain, inputShape);
        }

        var description = JsonSerializer.SerializeToUtf8Bytes(new ChainDescription { Format = FormatVersion, InputShape = inputShape?.ToArray(), Modules = modules }, Json);
        AtomicFile.Write(path, temporary =>
        {
            using var file = File.Create(temporary);
            using var hash = SHA256.Create();
            using (var hashing = new CryptoStream(file, hash, CryptoStreamMode.Write, leaveOpen: true))
            {
                using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write(Magic);
                    writer.Write(description.Length);
                    writer.Write(description);
                    chain.save(writer);
                }

                hashing.FlushFinalBlock();
            }

            file.Write(hash.Hash!);
        });
    }

    /// <summary>
    /// Reads the chain file at <paramref name="path"/>: rebuilds a fresh module of each described kind and settings,
    /// loads the weights into them (every parameter and buffer, checked for name, type and shape), and returns the
    /// chain on the CPU, in evaluation mode. The caller owns it and disposes it.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a chain file (a TorchSharp weights file, for one), is damaged (its checksum does not match: a
    /// truncated or altered file), was written by a newer Lottery (a newer format, or a module kind this version does
    /// not build), or its weights do not match its description. The message names the file, what is wrong and what to do.
    /// </exception>
    public static Sequential Load(string path) => LoadWithInputShape(path).Model;

    /// <summary>
    /// Reads the chain file at <paramref name="path"/> as <see cref="Load"/> does, and returns the chain with the input
    /// shape saved beside it (null when none was given to <see cref="Save"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a chain file, is damaged, was written by a newer Lottery, or its weights do not match its description.</exception>
    public static LoadedChain LoadWithInputShape(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No chain file at '{path}'.", path);
        }

        var bytes = File.ReadAllBytes(path);
        CheckIntegrity(path, bytes);
        var (description, weightsStart) = ReadDescription(path, bytes);
        var model = Build(path, description.Modules);
        try
        {
            LoadWeights(path, model, bytes, weightsStart);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        model.eval();
        return new LoadedChain(model, description.InputShape);
    }

    /// <summary>Each module's settings, refusing a module that is not supported or whose state its settings do not rebuild.</summary>
    private static List<ModuleEntry> Describe(Sequential chain)
    {
        var entries = new List<ModuleEntry>();
        foreach (var (index, (name, module)) in chain.named_children().Index())
        {
            var description = $"Module {index} ('{name}') of the chain is a {module.GetType().Name}";
            var settings = ModuleSettings.Read(module)
                ?? throw new ArgumentException($"{description}, which a chain file cannot describe. Supported modules: {ModuleSettings.Supported}.", nameof(chain));
            CheckState(module, settings, description);
            entries.Add(new ModuleEntry(name, settings));
        }

        return entries;
    }

    /// <summary>
    /// Checks that a fresh module of <paramref name="settings"/> has the same parameters and buffers as
    /// <paramref name="module"/> (names, types, shapes), so that its weights load into the module Load builds.
    /// </summary>
    private static void CheckState(nn.Module module, ModuleSettings settings, string description)
    {
        using var fresh = settings.Create();
        var expected = fresh.state_dict();
        var actual = module.state_dict();
        var problem =
            actual.Keys.Where(key => !expected.ContainsKey(key)).Select(key => $"it holds '{key}', which a fresh {settings.Kind} of its settings has not").FirstOrDefault()
            ?? expected.Keys.Where(key => !actual.ContainsKey(key)).Select(key => $"it lacks '{key}', which a fresh {settings.Kind} of its settings has").FirstOrDefault()
            ?? actual
                .Where(entry => entry.Value.dtype != expected[entry.Key].dtype || !entry.Value.shape.SequenceEqual(expected[entry.Key].shape))
                .Select(entry => $"its '{entry.Key}' is {Layout(entry.Value)} where a fresh {settings.Kind} of its settings has {Layout(expected[entry.Key])}")
                .FirstOrDefault();
        if (problem is not null)
        {
            throw new ArgumentException(
                $"{description} whose state a chain file cannot rebuild: {problem}. A chain file holds the parameters and buffers TorchSharp gives a fresh module; save the compacted model (Compactor.Compact), which has no mask buffers.",
                "chain");
        }
    }

    private static string Layout(Tensor tensor) => $"{tensor.dtype} [{string.Join(", ", tensor.shape)}]";

    private static void CheckRuns(Sequential chain, IReadOnlyList<long> inputShape)
    {
        if (inputShape.Count == 0 || inputShape.Any(size => size <= 0))
        {
            throw new ArgumentException(
                $"The input shape [{string.Join(", ", inputShape)}] is not the shape of one sample: give its positive sizes without the batch axis, for example [1, 28, 28] or [784], or no shape.",
                nameof(inputShape));
        }

        using var modes = new EvaluationModeScope(chain);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        try
        {
            chain.call(ChainTrace.ZeroSample(chain, inputShape));
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or ExternalException)
        {
            throw new ArgumentException(
                $"The chain does not run on a sample of shape [{string.Join(", ", inputShape)}] ({error.Message}). Give the shape of one sample, without the batch axis, or no shape.",
                nameof(inputShape),
                error);
        }
    }

    private static void CheckIntegrity(string path, byte[] bytes)
    {
        var head = Math.Min(bytes.Length, Magic.Length);
        if (!bytes.AsSpan(0, head).SequenceEqual(Magic.AsSpan(0, head)))
        {
            throw new InvalidDataException(
                $"'{path}' is not a Lottery chain file: it does not start with LTCHAIN1. A weights file written by TorchSharp's model.save describes no module: load it with model.load into a model built at its sizes, or save the model with ChainFile.Save.");
        }

        if (bytes.Length < Magic.Length + sizeof(int) + HashLength
            || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashLength)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
        {
            throw new InvalidDataException(
                $"'{path}' is damaged: its checksum does not match its content (a truncated or altered file). Save the model again with ChainFile.Save, or copy the file again from where it was saved.");
        }
    }

    /// <summary>The description, and where the weights after it start.</summary>
    private static (ChainDescription Description, int WeightsStart) ReadDescription(string path, byte[] bytes)
    {
        var start = Magic.Length + sizeof(int);
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length));
        if (length <= 0 || length > bytes.Length - HashLength - start)
        {
            throw Unreadable(path, $"its description length {length} does not fit in the file");
        }

        var json = new ReadOnlyMemory<byte>(bytes, start, length);
        int format;
        try
        {
            using var document = JsonDocument.Parse(json);
            format = document.RootElement.GetProperty("format").GetInt32();
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Unreadable(path, $"description has no format version ({error.Message})", error);
        }

        if (format > FormatVersion)
        {
            throw new InvalidDataException(
                $"'{path}' is a chain file of format {format}, written by a newer Lottery; this version reads formats up to {FormatVersion}. Update Lottery to load it.");
        }

        if (format < 1)
        {
            throw Unreadable(path, $"format {format} is not a chain file format");
        }

        try
        {
            var description = JsonSerializer.Deserialize<ChainDescription>(json.Span, Json) ?? throw new JsonException("The description is null.");
            if (description.Modules.Any(entry => entry is null))
            {
                throw new JsonException("A module is null.");
            }

            return (description, start + length);
        }
        catch (JsonException error)
        {
            throw Unreadable(path, $"description does not read as format {format} ({error.Message})", error);
        }
    }

    /// <summary>A fresh chain of the described modules, named as described.</summary>
    private static Sequential Build(string path, IReadOnlyList<ModuleEntry> entries)
    {
        var modules = new List<(string Name, nn.Module<Tensor, Tensor> Module)>(entries.Count);
        try
        {
            foreach (var (index, entry) in entries.Index())
            {
                var description = $"module {index} ('{entry.Name}')";
                try
                {
                    modules.Add((entry.Name, entry.Create()));
                }
                catch (NotSupportedException)
                {
                    throw new InvalidDataException(
                        $"'{path}' holds {description} of kind '{entry.Kind}', which this version of Lottery does not build (it builds {ModuleSettings.Supported}); the file was written by a newer Lottery. Update Lottery to load it.");
                }
                catch (Exception error) when (error is InvalidDataException or ArgumentException or InvalidOperationException or ExternalException)
                {
                    throw Unreadable(path, $"{description}, a {entry.Kind}, cannot be built from its description ({error.Message})", error);
                }
            }

            return nn.Sequential(modules);
        }
        catch (Exception error)
        {
            foreach (var (_, module) in modules)
            {
                module.Dispose();
            }

            if (error is ArgumentException or InvalidOperationException or ExternalException)
            {
                throw Unreadable(path, $"modules cannot be put in a chain ({error.Message})", error);
            }

            throw;
        }
    }

    private static void LoadWeights(string path, Sequential model, byte[] bytes, int start)
    {
        using var stream = new MemoryStream(bytes, start, bytes.Length - HashLength - start, writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            model.load(reader, strict: true);
        }
        catch (Exception error) when (error is ArgumentException or IOException or InvalidOperationException or OverflowException or ExternalException)
        {
            throw Unreadable(path, $"weights do not match its description ({error.Message})", error);
        }

        if (stream.Position != stream.Length)
        {
            throw Unreadable(path, $"weights are followed by {stream.Length - stream.Position} bytes the description does not account for");
        }
    }

    /// <summary>A file whose checksum matches but whose content this version cannot read: another program's, or a newer Lottery's.</summary>
    private static InvalidDataException Unreadable(string path, string what, Exception? inner = null) => new(
        $"'{path}' is a chain file whose {what}, though its checksum matches: it was written by another program or a newer Lottery. Update Lottery, or save the model again with ChainFile.Save.",
        inner);

    /// <summary>What the JSON description holds.</summary>
    private sealed record ChainDescription
    {
        public required int Format { get; init; }

        public long[]? InputShape { get; init; }

        public required List<ModuleEntry> Modules { get; init; }
    }

    /// <summary>One module of the description: its name in the chain, then its kind and settings.</summary>
    private sealed record ModuleEntry : ModuleSettings
    {
        public ModuleEntry()
        {
        }

        [SetsRequiredMembers]
        public ModuleEntry(string name, ModuleSettings settings)
            : base(settings) => Name = name;

        [JsonPropertyOrder(-2)]
        public required string Name { get; init; }
    }
}
