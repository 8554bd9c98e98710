using System.Globalization;
using System.Text;
using Lottery.Compaction;
using Lottery.Export.Graphs;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Export;

/// <summary>The PyTorch export of any model whose graph <see cref="GraphCapture"/> captures.</summary>
public static partial class PyTorchExport
{
    /// <summary>
    /// Writes <paramref name="model"/> (dense, masked or compacted in place) for PyTorch: its state dictionary under the
    /// model's own names (<c>blocks.0.conv1.weight</c>), and a Python module whose <c>Model</c> class holds the same modules
    /// at the same places and whose <c>forward</c> is the graph captured from the model's <c>forward</c>. A
    /// <see cref="Sequential"/> is written as a chain.
    /// </summary>
    /// <exception cref="NotSupportedException">A module or a line of <c>forward</c> cannot be written; the message names it, and nothing is written.</exception>
    public static PyTorchFiles Save(nn.Module model, string path, IReadOnlyList<long> inputShape, PyTorchMasks masks = PyTorchMasks.Keep, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        if (model is Sequential chain)
        {
            return Save(chain, path, inputShape, masks, description);
        }

        var full = Path.GetFullPath(path);
        var module = ModulePath(full);
        var captured = GraphCapture.Capture(model, inputShape);
        var source = PythonModule(captured, masks, Path.GetFileName(full), description ?? $"{model.GetType().Name}, exported by Lottery.");
        return WriteFiles(full, module, source, StateDictionary(captured, masks));
    }

    /// <summary>The state dictionary of a captured graph's modules and held tensors, new CPU tensors the caller disposes.</summary>
    public static IReadOnlyDictionary<string, Tensor> StateDictionary(CapturedGraph captured, PyTorchMasks masks = PyTorchMasks.Keep)
    {
        ArgumentNullException.ThrowIfNull(captured);
        var state = new Dictionary<string, Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var step in Distinct(captured))
            {
                switch (step)
                {
                    case ModuleStep module:
                        AddModuleState(state, module.Path, module.Module, masks);
                        break;
                    case ConstantStep constant:
                        state.Add(constant.Path, Copy(() => constant.Value));
                        break;
                }
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

    /// <summary>The Python module whose <c>Model</c> runs the captured graph and whose <c>load()</c> reads <paramref name="stateFileName"/>.</summary>
    /// <exception cref="NotSupportedException">A step cannot be written; the message names it.</exception>
    public static string PythonModule(CapturedGraph captured, PyTorchMasks masks, string stateFileName, string description)
    {
        ArgumentNullException.ThrowIfNull(captured);
        var init = new StringBuilder();
        var pruned = new List<string>();
        foreach (var step in Distinct(captured))
        {
            switch (step)
            {
                case ModuleStep module:
                    init.Append("        _put(self, ").Append(Text(module.Path)).Append(", ").Append(GraphConstructor(module)).Append(")\n");
                    if (masks == PyTorchMasks.Keep)
                    {
                        pruned.AddRange(module.Module.named_buffers()
                            .Where(b => IsMask(module.Module, b.name))
                            .Select(b => PrunedPair(module.Path, b.name[..^MaskSet.MaskBufferSuffix.Length])));
                        pruned.AddRange(HeldMasks(module.Module).Keys.Select(name => PrunedPair(module.Path, name)));
                    }

                    break;
                case ConstantStep constant:
                    var shape = string.Join(", ", constant.Value.shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
                    var kind = constant.Value is Parameter ? "nn.Parameter(torch.zeros(" + shape + (constant.Value.shape.Length == 1 ? ",))" : "))") : "torch.zeros(" + shape + (constant.Value.shape.Length == 1 ? ",)" : ")");
                    init.Append("        _put(self, ").Append(Text(constant.Path)).Append(", ").Append(kind).Append(")\n");
                    break;
            }
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [CapturedGraph.InputName] = "x" };
        string Var(string value) => names.TryGetValue(value, out var name) ? name : throw new GraphCaptureException($"Graph export lost the value '{value}'.");
        var forward = new StringBuilder();
        foreach (var step in captured.Steps)
        {
            var variable = names[step.Output] = "v" + names.Count.ToString(CultureInfo.InvariantCulture);
            var expression = step switch
            {
                ModuleStep module => $"_get(self, {Text(module.Path)})({Var(module.Input)})",
                ConstantStep constant => $"_get(self, {Text(constant.Path)})",
                OpStep op => OpExpression(op, op.Inputs.Select(Var).ToList()),
                _ => throw new GraphCaptureException($"Graph export does not know the step {step.GetType().Name}."),
            };
            forward.Append("        ").Append(variable).Append(" = ").Append(expression).Append('\n');
        }

        forward.Append("        return ").Append(Var(captured.Output)).Append('\n');
        var inputShape = string.Join(", ", captured.InputShape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var python = new StringBuilder();
        python.Append("\"\"\"").Append(Docstring(description)).Append("\n\n");
        python.Append("Model holds the exported model's modules under their names in the state dictionary; its forward is the graph Lottery\n");
        python.Append("captured from the model's own forward. build() makes it").Append(pruned.Count > 0 ? " with the pruned tensors masked as torch.nn.utils.prune does" : string.Empty).Append(";\n");
        python.Append("load() fills it with the state dictionary ").Append(Docstring(stateFileName)).Append(" (beside this file) and sets evaluation mode.\n");
        python.Append("Input: ").Append(captured.InputType == ScalarType.Int64 ? "int64 indices" : "float32").Append(" [batch, ").Append(inputShape).Append("].\n");
        python.Append("Written by Lottery's PyTorch export; edit freely.\n\"\"\"\n");
        python.Append("""
            import functools
            import os

            import torch
            import torch.nn.functional as F
            from torch import nn
            from torch.nn.utils import prune


            """);
        python.Append("INPUT_SHAPE = (").Append(inputShape).Append(captured.InputShape.Count == 1 ? ",)\n" : ")\n");
        python.Append("STATE_FILE = ").Append(Text(stateFileName)).Append('\n');
        python.Append("# (module, tensor) pairs that carry a pruning mask: <tensor>_orig and <tensor>_mask in the state dictionary.\n");
        python.Append("PRUNED = [").Append(string.Join(", ", pruned)).Append("]\n\n\n");
        python.Append("""
            def _get(root, path):
                return functools.reduce(getattr, path.split("."), root)


            def _put(root, path, value):
                *parents, name = path.split(".")
                holder = root
                for part in parents:
                    if part not in holder._modules:
                        holder.add_module(part, nn.Module())
                    holder = holder._modules[part]
                if isinstance(value, nn.Parameter):
                    holder.register_parameter(name, value)
                elif isinstance(value, torch.Tensor):
                    holder.register_buffer(name, value)
                else:
                    holder.add_module(name, value)


            """);
        if (captured.Steps.OfType<ModuleStep>().Any(s => s.Transformer is { Managed: true }))
        {
            python.Append(ManagedTransformer);
        }

        python.Append("""
            class Model(nn.Module):
                def __init__(self):
                    super().__init__()

            """);
        python.Append(init);
        python.Append("        for module, tensor in PRUNED:\n");
        python.Append("            prune.identity(_get(self, module), tensor)\n\n");
        python.Append("    def forward(self, x):\n");
        python.Append(forward);
        python.Append(""""


            def build():
                """The model, untrained, with the pruned tensors' masks registered (all ones until load)."""
                return Model()


            def load(path=None):
                """The exported model with its trained state (and masks), in evaluation mode."""
                model = build()
                path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), STATE_FILE)
                model.load_state_dict(torch.load(path, map_location="cpu"))
                # The masked tensors as prune's hooks make them before a forward: fused paths (TransformerEncoderLayer's
                # at inference) read them without running the hooks.
                for module, tensor in PRUNED:
                    holder = _get(model, module)
                    setattr(holder, tensor, getattr(holder, tensor + "_orig") * getattr(holder, tensor + "_mask"))
                return model.eval()

            """");
        return python.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>The (module, tensor) pair of a masked tensor, the module taken down to the tensor's own (<c>encoder.self_attn</c>, <c>in_proj_weight</c>).</summary>
    private static string PrunedPair(string path, string tensor)
    {
        var dot = tensor.LastIndexOf('.');
        return dot < 0 ? $"({Text(path)}, {Text(tensor)})" : $"({Text(path + "." + tensor[..dot])}, {Text(tensor[(dot + 1)..])})";
    }

    /// <summary>Each module and held tensor once, in the order the graph first uses it.</summary>
    private static IEnumerable<GraphStep> Distinct(CapturedGraph captured)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return captured.Steps.Where(step => step switch
        {
            ModuleStep module => seen.Add(module.Path),
            ConstantStep constant => seen.Add(constant.Path),
            _ => false,
        });
    }

    /// <summary>Lottery's EncoderLayer in PyTorch: TorchSharp's parameter names, and heads that need not fill the width.</summary>
    private const string ManagedTransformer = """"
        class SelfAttention(nn.Module):
            """Lottery's SelfAttention: MultiheadAttention's parameters, with heads x head_size below the width once heads were removed."""

            def __init__(self, width, heads, head_size):
                super().__init__()
                self.heads, self.head_size = heads, head_size
                inner = heads * head_size
                self.in_proj_weight = nn.Parameter(torch.zeros(3 * inner, width))
                self.in_proj_bias = nn.Parameter(torch.zeros(3 * inner))
                self.out_proj = nn.Linear(inner, width)

            def forward(self, x):
                length, batch, _ = x.shape
                inner = self.heads * self.head_size
                q, k, v = (t.reshape(length, batch * self.heads, self.head_size).transpose(0, 1)
                           for t in F.linear(x, self.in_proj_weight, self.in_proj_bias).split(inner, -1))
                weights = torch.softmax(torch.bmm(q * (1.0 / self.head_size ** 0.5), k.transpose(1, 2)), -1)
                return self.out_proj(torch.bmm(weights, v).transpose(0, 1).reshape(length, batch, inner))


        class EncoderLayer(nn.Module):
            """Lottery's EncoderLayer: TransformerEncoderLayer's parameters and computation (sequence first, post-norm)."""

            def __init__(self, width, heads, head_size, feedforward, activation, eps):
                super().__init__()
                self.self_attn = SelfAttention(width, heads, head_size)
                self.linear1 = nn.Linear(width, feedforward)
                self.linear2 = nn.Linear(feedforward, width)
                self.norm1 = nn.LayerNorm(width, eps=eps)
                self.norm2 = nn.LayerNorm(width, eps=eps)
                self.activation = F.gelu if activation == "gelu" else F.relu

            def forward(self, x):
                x = self.norm1(x + self.self_attn(x))
                return self.norm2(x + self.linear2(self.activation(self.linear1(x))))


        """";

    private static string GraphConstructor(ModuleStep step) => step.Module switch
    {
        _ when step.Transformer is { Managed: true } m => string.Create(CultureInfo.InvariantCulture, $"EncoderLayer({m.Width}, {m.Heads}, {m.HeadSize}, {m.FeedForward}, {Text(m.Activation)}, {Number(m.Eps)})"),
        _ when step.Transformer is { } t => string.Create(CultureInfo.InvariantCulture, $"nn.TransformerEncoderLayer({t.Width}, {t.Heads}, dim_feedforward={t.FeedForward}, dropout=0.0, activation={Text(t.Activation)}, layer_norm_eps={Number(t.Eps)})"),
        AdaptiveAvgPool2d => $"nn.AdaptiveAvgPool2d({Sizes([.. step.OutputShape.Skip(2)])})",
        var module => Constructor(step.Path, module, ModuleSettings.Read(module)),
    };

    private static string OpExpression(OpStep op, IReadOnlyList<string> inputs)
    {
        var x = inputs[0];
        string Ints(IEnumerable<long> values) => string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return op.Op switch
        {
            GraphOps.Add => $"{x} + {inputs[1]}",
            GraphOps.Sub => $"{x} - {inputs[1]}",
            GraphOps.Mul => $"{x} * {inputs[1]}",
            GraphOps.Div => $"{x} / {inputs[1]}",
            GraphOps.AddScalar => $"{x} + {Number(op.Scalar!.Value)}",
            GraphOps.MulScalar => $"{x} * {Number(op.Scalar!.Value)}",
            GraphOps.Relu => $"F.relu({x})",
            GraphOps.Relu6 => $"F.relu6({x})",
            GraphOps.Gelu => op.Flag ? $"F.gelu({x}, approximate=\"tanh\")" : $"F.gelu({x})",
            GraphOps.Sigmoid => $"torch.sigmoid({x})",
            GraphOps.Tanh => $"torch.tanh({x})",
            GraphOps.Silu => $"F.silu({x})",
            GraphOps.Hardswish => $"F.hardswish({x})",
            GraphOps.Softmax => $"F.softmax({x}, dim={op.Ints[0]})",
            GraphOps.Concat => $"torch.cat([{string.Join(", ", inputs)}], dim={op.Ints[0]})",
            GraphOps.Flatten => $"torch.flatten({x}, {op.Ints[0]}, {op.Ints[1]})",
            GraphOps.Reshape => $"{x}.reshape({string.Join(", ", op.Ints.Select((d, i) => d == 0 ? $"{x}.shape[{i}]" : d.ToString(CultureInfo.InvariantCulture)))})",
            GraphOps.Mean => $"{x}.mean(dim=({Ints(op.Ints)},), keepdim={Bool(op.Flag)})",
            GraphOps.Transpose => $"{x}.transpose({op.Ints[0]}, {op.Ints[1]})",
            GraphOps.Permute => $"{x}.permute({Ints(op.Ints)})",
            GraphOps.GlobalAveragePool => $"F.adaptive_avg_pool2d({x}, 1)",
            _ => throw new GraphCaptureException($"Graph export cannot write '{op.Output}' to PyTorch: it does not know the operation '{op.Op}'."),
        };
    }
}
