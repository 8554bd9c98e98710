using System.Globalization;
using System.Text;
using Lottery.Compaction;
using Lottery.Masks;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Lottery.Export;

/// <summary>How a PyTorch export writes a masked layer's weights.</summary>
public enum PyTorchMasks
{
    /// <summary>
    /// As <c>torch.nn.utils.prune</c> keeps a pruned layer: the weights as <c>weight_orig</c> and the mask as the buffer
    /// <c>weight_mask</c> (the same for a masked bias), so that in PyTorch the mask stays applied while the model trains on.
    /// </summary>
    Keep,

    /// <summary>As after <c>prune.remove</c>: plain <c>weight</c> tensors with the pruned weights zero, and no masks.</summary>
    Strip,
}

/// <summary>The two files of a PyTorch export.</summary>
/// <param name="StateDictionary">The state dictionary, in <c>torch.save</c>'s format (<c>torch.load</c> reads it).</param>
/// <param name="Module">A Python module whose <c>build()</c> makes the equivalent <c>torch.nn.Sequential</c> and whose <c>load()</c> fills it from the state dictionary.</param>
public sealed record PyTorchFiles(string StateDictionary, string Module);

/// <summary>
/// Writes a chain of layers (a <see cref="Sequential"/>: dense, masked or compacted) for PyTorch: its state dictionary
/// in <c>torch.save</c>'s zip format (through TorchSharp.PyBridge), under the names a <c>torch.nn.Sequential</c> of the
/// same named layers has, with masked weights as <c>torch.nn.utils.prune</c> names them (<c>weight_orig</c> and
/// <c>weight_mask</c>) or stripped; and beside it a Python file that builds that <c>Sequential</c> (registering the
/// masks with <c>prune.identity</c> first) and loads the state dictionary into it. The modules written are those
/// compaction and ONNX export know; any other is an error that names it, and nothing is written.
/// </summary>
public static partial class PyTorchExport
{
    /// <summary>Writes <paramref name="chain"/> to <paramref name="path"/> (the state dictionary, <c>.pt</c>) and a Python module beside it (atomically).</summary>
    /// <param name="chain">The chain.</param>
    /// <param name="path">The state dictionary's file; the Python module goes beside it, named after it (as a Python identifier) with <c>.py</c>.</param>
    /// <param name="inputShape">One example's input shape, without the batch dimension (for LeNet-300-100, [784]).</param>
    /// <param name="masks">Whether masked layers keep their masks, as PyTorch's prune utility does, or are stripped.</param>
    /// <param name="description">A line on what was exported, for the Python module's docstring.</param>
    /// <exception cref="NotSupportedException">A module cannot be written; the message names it.</exception>
    public static PyTorchFiles Save(Sequential chain, string path, IReadOnlyList<long> inputShape, PyTorchMasks masks = PyTorchMasks.Keep, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var module = ModulePath(full);
        var source = PythonModule(chain, inputShape, masks, Path.GetFileName(full), description);
        return WriteFiles(full, module, source, StateDictionary(chain, masks));
    }

    /// <summary>Writes the state dictionary <paramref name="state"/> (disposing its tensors) and the Python module beside it, each atomically.</summary>
    private static PyTorchFiles WriteFiles(string full, string module, string source, IReadOnlyDictionary<string, Tensor> state)
    {
        try
        {
            using var holder = new StateHolder("state");
            foreach (var (name, tensor) in state)
            {
                holder.Add(name, tensor);
            }

            AtomicFile.Write(full, temporary => holder.save_py(temporary));
        }
        finally
        {
            foreach (var tensor in state.Values)
            {
                tensor.Dispose();
            }
        }

        AtomicFile.Write(module, temporary => File.WriteAllText(temporary, source, new UTF8Encoding(false)));
        return new PyTorchFiles(full, module);
    }

    /// <summary>The Python module's path for a state dictionary at <paramref name="statePath"/>: its name made a Python identifier, with <c>.py</c>.</summary>
    /// <exception cref="ArgumentException">The state dictionary's path ends in <c>.py</c>, where the module goes.</exception>
    public static string ModulePath(string statePath)
    {
        ArgumentNullException.ThrowIfNull(statePath);
        if (Path.GetExtension(statePath).Equals(".py", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{statePath}' would be the state dictionary, but a .py file is where its Python module goes: give a .pt file (the module is written beside it).", nameof(statePath));
        }

        var stem = Path.GetFileNameWithoutExtension(statePath);
        var identifier = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray());
        if (identifier.Length == 0 || char.IsAsciiDigit(identifier[0]))
        {
            identifier = "model_" + identifier;
        }

        // A module named like one it imports (torch.py) would import itself; a keyword cannot be imported at all.
        if (ReservedNames.Contains(identifier))
        {
            identifier += "_model";
        }

        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(statePath))!, identifier + ".py");
    }

    /// <summary>
    /// The state dictionary PyTorch's equivalent <c>Sequential</c> has: <c>&lt;layer&gt;.&lt;tensor&gt;</c> in the chain's
    /// order, new CPU tensors the caller disposes.
    /// </summary>
    /// <exception cref="NotSupportedException">A module cannot be written; the message names it.</exception>
    public static IReadOnlyDictionary<string, Tensor> StateDictionary(Sequential chain, PyTorchMasks masks = PyTorchMasks.Keep)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var state = new Dictionary<string, Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, module) in chain.named_children())
            {
                _ = Settings(name, module);
                AddModuleState(state, name, module, masks);
            }

            return state;
        }
        catch
        {
            foreach (var tensor in state.Values)
            {
                tensor.Dispose();
            }

            throw;
        }
    }

    /// <summary>Adds one module's parameters (masked as <paramref name="masks"/> says) and buffers under <c>&lt;name&gt;.&lt;tensor&gt;</c>.</summary>
    private static void AddModuleState(Dictionary<string, Tensor> state, string name, nn.Module module, PyTorchMasks masks)
    {
        // With its layers' (a chain's modules have none; Lottery's EncoderLayer keeps its weights in its own Linears).
        var buffers = module.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        var held = HeldMasks(module);
        foreach (var (parameterName, parameter) in module.named_parameters())
        {
            var mask = buffers.GetValueOrDefault(parameterName + MaskSet.MaskBufferSuffix) ?? held.GetValueOrDefault(parameterName);
            if (mask is null)
            {
                state.Add($"{name}.{parameterName}", Copy(() => parameter));
            }
            else if (masks == PyTorchMasks.Keep)
            {
                state.Add($"{name}.{parameterName}_orig", Copy(() => parameter));
                state.Add($"{name}.{parameterName}{MaskSet.MaskBufferSuffix}", Copy(() => mask.to(parameter.dtype)));
            }
            else
            {
                state.Add($"{name}.{parameterName}", Copy(() => parameter.mul(mask)));
            }
        }

        foreach (var (bufferName, buffer) in buffers)
        {
            if (!IsMask(module, bufferName))
            {
                state.Add($"{name}.{bufferName}", Copy(() => buffer));
            }
        }
    }

    /// <summary>
    /// The masks a mask set holds for <paramref name="module"/>'s parameters rather than as its buffers (a native module
    /// such as TorchSharp's TransformerEncoderLayer takes no buffers), by parameter name; empty when none.
    /// </summary>
    private static Dictionary<string, Tensor> HeldMasks(nn.Module module) =>
        MaskSet.Holding(module)?.Weights.Where(w => ReferenceEquals(w.Layer, module)).ToDictionary(w => w.ParameterName, w => w.Mask) ?? [];

    /// <summary>The Python module that builds the chain's equivalent <c>torch.nn.Sequential</c> and loads <paramref name="stateFileName"/> (beside it) into it.</summary>
    /// <exception cref="NotSupportedException">A module cannot be written; the message names it.</exception>
    public static string PythonModule(Sequential chain, IReadOnlyList<long> inputShape, PyTorchMasks masks, string stateFileName, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(inputShape);
        var layers = new List<string>();
        var pruned = new List<string>();
        var dtype = "float32";
        foreach (var (name, module) in chain.named_children())
        {
            var settings = Settings(name, module);
            layers.Add($"        ({Text(name)}, {Constructor(name, module, settings)}),");
            if (settings.Dtype is { } type && type != ScalarType.Float32)
            {
                dtype = Dtype(name, type)["torch.".Length..];
            }

            if (masks == PyTorchMasks.Keep)
            {
                pruned.AddRange(module.named_buffers(recurse: false)
                    .Where(b => IsMask(module, b.name))
                    .Select(b => $"({Text(name)}, {Text(b.name[..^MaskSet.MaskBufferSuffix.Length])})"));
            }
        }

        var python = new StringBuilder();
        python.Append("\"\"\"").Append(Docstring(description ?? "A model exported by Lottery.")).Append('\n').Append('\n');
        python.Append("build() makes the equivalent torch.nn.Sequential").Append(pruned.Count > 0 ? ", its pruned tensors masked as torch.nn.utils.prune does" : string.Empty).Append(";\n");
        python.Append("load() fills it with the state dictionary ").Append(Docstring(stateFileName)).Append(" (beside this file) and sets evaluation mode.\n");
        python.Append("Input: ").Append(dtype).Append(" [batch, ").Append(string.Join(", ", inputShape.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append("]; output: [batch, classes] logits.\n");
        python.Append("Written by Lottery's PyTorch export; edit freely.\n\"\"\"\n");
        python.Append("""
            import os
            from collections import OrderedDict

            import torch
            from torch import nn
            from torch.nn.utils import prune


            """);
        python.Append("INPUT_SHAPE = (").Append(string.Join(", ", inputShape.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append(inputShape.Count == 1 ? ",)\n" : ")\n");
        python.Append("STATE_FILE = ").Append(Text(stateFileName)).Append('\n');
        python.Append("# (layer, tensor) pairs that carry a pruning mask: <tensor>_orig and <tensor>_mask in the state dictionary.\n");
        python.Append("PRUNED = [").Append(string.Join(", ", pruned)).Append("]\n\n\n");
        python.Append("def build():\n");
        python.Append("    \"\"\"The model's layers, untrained, with the pruned tensors' masks registered (all ones until load).\"\"\"\n");
        python.Append("    model = nn.Sequential(OrderedDict([\n");
        foreach (var line in layers)
        {
            python.Append(line).Append('\n');
        }

        python.Append("    ]))\n");
        python.Append("    for layer, tensor in PRUNED:\n");
        python.Append("        prune.identity(getattr(model, layer), tensor)\n");
        python.Append("    return model\n\n\n");
        python.Append("def load(path=None):\n");
        python.Append("    \"\"\"The exported model with its trained state (and masks), in evaluation mode.\"\"\"\n");
        python.Append("    model = build()\n");
        python.Append("    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), STATE_FILE)\n");
        python.Append("    model.load_state_dict(torch.load(path, map_location=\"cpu\"))\n");
        python.Append("    return model.eval()\n");
        return python.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>Names a generated module must not take: those it imports, and Python's keywords.</summary>
    private static readonly HashSet<string> ReservedNames =
    [
        "torch", "os", "collections", "numpy", "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
        "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
        "while", "with", "yield",
    ];

    /// <summary>A new CPU tensor holding <paramref name="tensor"/>'s values; the steps in between end with their scope.</summary>
    private static Tensor Copy(Func<Tensor> tensor)
    {
        using var scope = NewDisposeScope();
        return tensor().detach().cpu().contiguous().clone().MoveToOuterDisposeScope();
    }

    private static bool IsMask(nn.Module module, string bufferName) =>
        bufferName.EndsWith(MaskSet.MaskBufferSuffix, StringComparison.Ordinal)
        && module.named_parameters().Any(p => p.name + MaskSet.MaskBufferSuffix == bufferName);

    private static ModuleSettings Settings(string name, nn.Module module)
    {
        if (module.named_children().Any())
        {
            throw Unsupported(name, $"it is a {module.GetType().Name} with layers of its own; PyTorch export writes a flat chain of {ModuleSettings.Supported}");
        }

        return ModuleSettings.Read(module) ?? throw Unsupported(name, $"it is a {module.GetType().Name}; PyTorch export writes {ModuleSettings.Supported}");
    }

    /// <summary>The PyTorch constructor call of one module, as its <see cref="Compaction.Modules.ModuleKind"/> writes it.</summary>
    private static string Constructor(string name, nn.Module module, ModuleSettings? s)
    {
        var kind = Compaction.Modules.ModuleKind.Of(module)
            ?? throw Unsupported(name, $"it is a {module.GetType().Name}; PyTorch export writes {ModuleSettings.Supported}");
        var dtype = s?.Dtype is { } type && type != ScalarType.Float32 ? $", dtype={Dtype(name, type)}" : string.Empty;
        return kind.Python(module, s, new PythonLayer(name, dtype));
    }

    private static string Dtype(string name, ScalarType type) => type switch
    {
        ScalarType.Float64 => "torch.float64",
        ScalarType.Float16 => "torch.float16",
        ScalarType.BFloat16 => "torch.bfloat16",
        _ => throw Unsupported(name, $"its parameters are {type}, not a floating-point type PyTorch's layers take"),
    };

    internal static string Sizes(long[] sizes) => sizes.Length == 1
        ? sizes[0].ToString(CultureInfo.InvariantCulture)
        : "(" + string.Join(", ", sizes.Select(v => v.ToString(CultureInfo.InvariantCulture))) + ")";

    internal static string Bool(bool value) => value ? "True" : "False";

    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Text safe inside a Python docstring: backslashes (Windows paths) doubled, and no closing quotes.</summary>
    private static string Docstring(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"\"\"", "\\\"\\\"\\\"", StringComparison.Ordinal);

    internal static string Text(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    internal static NotSupportedException Unsupported(string name, string why) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Layer '{name}' cannot be exported to PyTorch: {why}."));

    /// <summary>A module that only holds named tensors as buffers, so that PyBridge writes them as a state dictionary.</summary>
    private sealed class StateHolder(string name) : nn.Module(name)
    {
        private readonly Dictionary<string, StateHolder> layers = [];

        /// <summary>Adds <paramref name="tensor"/> under a dotted <paramref name="path"/> (<c>fc1.weight_orig</c>), making the layers on the way.</summary>
        public void Add(string path, Tensor tensor)
        {
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                register_buffer(path, tensor);
                return;
            }

            var head = path[..dot];
            if (!layers.TryGetValue(head, out var child))
            {
                child = new StateHolder(head);
                layers.Add(head, child);
                register_module(head, child);
            }

            child.Add(path[(dot + 1)..], tensor);
        }
    }
}

/// <summary>The layer a PyTorch constructor is written for: its name (for errors) and its dtype argument (<c>, dtype=torch.float64</c>, or empty).</summary>
internal sealed record PythonLayer(string Name, string Dtype)
{
    /// <summary>The error for this layer: it cannot be written, and why.</summary>
    public NotSupportedException Unsupported(string why) => PyTorchExport.Unsupported(Name, why);
}
