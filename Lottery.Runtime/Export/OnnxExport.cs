using System.Globalization;
using Google.Protobuf;
using Lottery.Compaction;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Export;

/// <summary>
/// Writes a chain of layers (a <see cref="Sequential"/>: dense, masked or compacted) as an ONNX model that ONNX Runtime
/// runs without TorchSharp: Linear as Gemm, Conv1d/2d as Conv, BatchNorm as BatchNormalization (running statistics),
/// max and average pools, Flatten, the activations ReLU, LeakyReLU, Tanh, Sigmoid, ELU, GELU and SiLU; Dropout and
/// Identity are left out (inference). A masked layer is written with its effective weights (weight times mask), as a
/// sparse initialiser when fewer than a third of them are nonzero. The
/// input is named <c>input</c> with a free batch dimension, the output <c>output</c>. A module it cannot write, or one
/// whose settings ONNX cannot express, is an error that names the module; it never writes a wrong file.
/// </summary>
public static partial class OnnxExport
{
    /// <summary>The ONNX operator set the files use (20: the first with Gelu).</summary>
    public const int Opset = 20;

    /// <summary>The input's name in the graph.</summary>
    public const string InputName = "input";

    /// <summary>The output's name in the graph.</summary>
    public const string OutputName = "output";

    /// <summary>Writes <paramref name="chain"/> to <paramref name="path"/> (atomically).</summary>
    /// <param name="chain">The chain, in evaluation mode or not (it is written as in evaluation).</param>
    /// <param name="path">The file.</param>
    /// <param name="inputShape">One example's input shape, without the batch dimension (for LeNet-300-100, [784]).</param>
    /// <exception cref="NotSupportedException">A module cannot be written; the message names it.</exception>
    public static void Save(Sequential chain, string path, IReadOnlyList<long> inputShape)
    {
        var bytes = ToBytes(chain, inputShape);
        AtomicFile.Write(path, temporary => File.WriteAllBytes(temporary, bytes));
    }

    /// <summary>The ONNX model of <paramref name="chain"/>, serialized.</summary>
    /// <exception cref="NotSupportedException">A module cannot be written; the message names it.</exception>
    public static byte[] ToBytes(Sequential chain, IReadOnlyList<long> inputShape) => ToModel(chain, inputShape).ToByteArray();

    /// <summary>The ONNX model of <paramref name="chain"/>.</summary>
    /// <exception cref="NotSupportedException">A module cannot be written; the message names it.</exception>
    public static ModelProto ToModel(Sequential chain, IReadOnlyList<long> inputShape)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(inputShape);
        var graph = new GraphProto { Name = "lottery" };
        graph.Input.Add(Value(InputName, [null, .. inputShape.Select(d => (long?)d)]));
        var current = InputName;
        using (NewDisposeScope())
        using (no_grad())
        {
            // The effective weights (weight times mask) made while writing end with the scope.
            foreach (var (name, module) in chain.named_children())
            {
                current = new Writer(graph, name, module, current).Write();
            }
        }

        return Finish(graph, current);
    }

    /// <summary>
    /// The model around <paramref name="graph"/>: its last value <paramref name="last"/> renamed to the fixed output name by an
    /// Identity whose name differs from every node's (a chain may well name its last layer "output"), the opset and producer.
    /// </summary>
    private static ModelProto Finish(GraphProto graph, string last)
    {
        var names = graph.Node.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var rename = Enumerable.Range(0, names.Count + 1).Select(i => i == 0 ? "graph_output" : $"graph_output_{i}").First(n => !names.Contains(n));
        graph.Node.Add(Node("Identity", rename, [last], [OutputName]));
        graph.Output.Add(Value(OutputName, null));
        var model = new ModelProto
        {
            IrVersion = 9,
            ProducerName = "Lottery",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        return model;
    }

    private static ValueInfoProto Value(string name, IReadOnlyList<long?>? shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float };
        if (shape is not null)
        {
            tensor.Shape = new TensorShapeProto();
            foreach (var dimension in shape)
            {
                tensor.Shape.Dim.Add(dimension is { } size ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
            }
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private static NodeProto Node(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    private static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>Writes one module's nodes and initialisers.</summary>
    private sealed partial class Writer(GraphProto graph, string name, TorchSharp.torch.nn.Module module, string input, string? output = null, int rank = 2)
    {
        private string Output => output ?? name + "_out";

        public string Write()
        {
            if (WriteGraphModule() is { } written)
            {
                return written;
            }

            var settings = ModuleSettings.Read(module)
                ?? throw Unsupported($"it is a {module.GetType().Name}; ONNX export writes {ModuleSettings.Supported}, and in graphs ReLU6, Hardswish, AdaptiveAvgPool2d to 1x1 and LayerNorm");
            switch (settings.Kind)
            {
                case nameof(Linear) when rank != 2:
                    // Gemm takes matrices only: a Linear on [sequence, batch, features] is MatMul by the transposed weight, then Add.
                    var product = Output + "_matmul";
                    var bias = Bias().ToList();
                    graph.Node.Add(Node("MatMul", product, [input, Initializer("weight_t", LayerWeights.EffectiveWeight(module).t())], [product]));
                    return bias.Count == 0 ? Add("Identity", [product]) : Add("Add", [product, .. bias]);
                case nameof(Linear):
                    return Add("Gemm", [input, Initializer("weight", LayerWeights.EffectiveWeight(module)), .. Bias()], Int("transB", 1));
                case nameof(Conv1d) or nameof(Conv2d):
                    return Convolution(settings);
                case nameof(BatchNorm1d) or nameof(BatchNorm2d):
                    return BatchNorm(settings);
                case nameof(MaxPool1d) or nameof(MaxPool2d):
                    return Pool("MaxPool", settings, [Ints("dilations", settings.Dilation!)]);
                case nameof(AvgPool1d) or nameof(AvgPool2d):
                    if (settings.DivisorOverride is not null)
                    {
                        throw Unsupported("an average pool with a divisor override has no ONNX operator");
                    }

                    return Pool("AveragePool", settings, [Int("count_include_pad", settings.CountIncludePad == true ? 1 : 0)]);
                case nameof(Flatten):
                    if (settings.StartDim != 1 || settings.EndDim != -1)
                    {
                        throw Unsupported($"ONNX's Flatten keeps the batch axis and joins all the others (start_dim 1, end_dim -1), not start_dim {settings.StartDim}, end_dim {settings.EndDim}");
                    }

                    return Add("Flatten", [input], Int("axis", 1));
                case nameof(Dropout) or nameof(Dropout1d) or nameof(Dropout2d) or nameof(Identity):
                    return input; // Nothing at inference.
                case nameof(ReLU):
                    return Add("Relu", [input]);
                case nameof(LeakyReLU):
                    return Add("LeakyRelu", [input], Float("alpha", settings.NegativeSlope ?? 0.01));
                case nameof(Tanh):
                    return Add("Tanh", [input]);
                case nameof(Sigmoid):
                    return Add("Sigmoid", [input]);
                case nameof(ELU):
                    return Add("Elu", [input], Float("alpha", settings.Alpha ?? 1.0));
                case nameof(GELU):
                    return Add("Gelu", [input], Text("approximate", settings.Approximate == GELU.Approximate.tanh ? "tanh" : "none"));
                case nameof(SiLU):
                    graph.Node.Add(Node("Sigmoid", Output + "_sigmoid", [input], [Output + "_sigmoid"]));
                    return Add("Mul", [input, Output + "_sigmoid"]);
                default:
                    throw Unsupported($"ONNX export does not write a {settings.Kind} yet; it writes {ModuleSettings.Supported}");
            }
        }

        private string Convolution(ModuleSettings settings)
        {
            if (settings.PaddingMode is { } mode && mode != TorchSharp.PaddingModes.Zeros)
            {
                throw Unsupported($"it pads with {mode}; ONNX's Conv pads with zeros only");
            }

            var kernel = settings.KernelSize!;
            var pads = settings.Padding ?? settings.PaddingType switch
            {
                TorchSharp.Padding.Valid => new long[kernel.Length],
                _ => SamePadding(kernel, settings.Dilation!, settings.Stride!),
            };
            return Add(
                "Conv",
                [input, Initializer("weight", LayerWeights.EffectiveWeight(module)), .. Bias()],
                Ints("kernel_shape", kernel),
                Ints("strides", settings.Stride!),
                Ints("pads", [.. pads, .. pads]),
                Ints("dilations", settings.Dilation!),
                Int("group", settings.Groups ?? 1));
        }

        private long[] SamePadding(long[] kernel, long[] dilation, long[] stride)
        {
            var pads = new long[kernel.Length];
            for (var axis = 0; axis < kernel.Length; axis++)
            {
                var total = dilation[axis] * (kernel[axis] - 1);
                if (stride[axis] != 1 || total % 2 != 0)
                {
                    throw Unsupported("its 'same' padding is uneven (an even kernel or a stride above 1); give the padding in sizes");
                }

                pads[axis] = total / 2;
            }

            return pads;
        }

        private string BatchNorm(ModuleSettings settings)
        {
            var norm = (TorchSharp.Modules.BatchNorm)module;
            if (norm.running_mean is null || norm.running_var is null)
            {
                throw Unsupported("it keeps no running statistics (track_running_stats false), so at inference it would normalise by each batch's own, which ONNX's BatchNormalization does not");
            }

            var features = settings.NumFeatures!.Value;
            var scale = norm.weight is { } weight ? weight.detach() : ones(features);
            var shift = norm.bias is { } bias ? bias.detach() : zeros(features);
            return Add(
                "BatchNormalization",
                [input, Initializer("scale", scale), Initializer("shift", shift), Initializer("mean", norm.running_mean), Initializer("var", norm.running_var)],
                Float("epsilon", settings.Eps ?? 1e-5));
        }

        private string Pool(string op, ModuleSettings settings, AttributeProto[] extra)
        {
            var kernel = settings.KernelSize!;
            var pads = settings.Padding ?? new long[kernel.Length];
            return Add(op, [input], [Ints("kernel_shape", kernel), Ints("strides", settings.Stride ?? kernel), Ints("pads", [.. pads, .. pads]), Int("ceil_mode", settings.CeilMode == true ? 1 : 0), .. extra]);
        }

        private IEnumerable<string> Bias() =>
            LayerWeights.EffectiveBias(module) is { } bias ? [Initializer("bias", bias)] : [];

        /// <summary>Adds the module's node and returns its output's name.</summary>
        private string Add(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            graph.Node.Add(Node(op, output is null ? name : Output, inputs, [Output], attributes));
            return Output;
        }

        /// <summary>
        /// Stores <paramref name="value"/> as a float32 initialiser named after the module and returns its name: dense, or,
        /// for a weight (two axes or more) with fewer than a third of its entries nonzero (a pruned layer), as a sparse initialiser holding only the
        /// nonzero values and their positions (4 bytes a value and 8 an index, against 4 bytes an entry dense), which
        /// ONNX Runtime expands when it loads the file.
        /// </summary>
        private string Initializer(string part, Tensor value)
        {
            var full = $"{name}.{part}";
            if (graph.Initializer.Any(i => i.Name == full) || graph.SparseInitializer.Any(i => i.Values.Name == full))
            {
                return full; // A module called twice: its weights are written once.
            }

            using var data = value.detach().to(ScalarType.Float32).cpu().contiguous();
            var values = data.data<float>().ToArray();
            var nonzero = values.Count(v => v != 0);
            if (data.shape.Length >= 2 && nonzero > 0 && 3L * nonzero < values.Length)
            {
                var indices = new long[nonzero];
                var kept = new float[nonzero];
                for (int i = 0, k = 0; i < values.Length; i++)
                {
                    if (values[i] != 0)
                    {
                        indices[k] = i;
                        kept[k++] = values[i];
                    }
                }

                var sparse = new SparseTensorProto
                {
                    Values = Raw(full, kept, TensorProto.Types.DataType.Float, [nonzero]),
                    Indices = Raw(full + ".indices", indices, TensorProto.Types.DataType.Int64, [nonzero]),
                };
                sparse.Dims.AddRange(data.shape);
                graph.SparseInitializer.Add(sparse);
                return full;
            }

            graph.Initializer.Add(Raw(full, values, TensorProto.Types.DataType.Float, data.shape));
            return full;
        }

        /// <summary>A tensor of <paramref name="values"/> in raw little-endian bytes.</summary>
        private static TensorProto Raw<T>(string tensorName, T[] values, TensorProto.Types.DataType type, long[] shape)
            where T : unmanaged
        {
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("ONNX stores raw tensor data little-endian; this machine is big-endian.");
            }

            var tensor = new TensorProto { Name = tensorName, DataType = (int)type, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
            tensor.Dims.AddRange(shape);
            return tensor;
        }

        private NotSupportedException Unsupported(string why) =>
            new(string.Create(CultureInfo.InvariantCulture, $"Layer '{name}' cannot be exported to ONNX: {why}."));
    }
}
