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

    private static ValueInfoProto Value(string name, IReadOnlyList<long?>? shape, bool indices = false)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)(indices ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float) };
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

    internal static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    internal static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    internal static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    internal static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>
    /// Writes one module's nodes and initialisers: its <see cref="Compaction.Modules.ModuleKind"/> writes them through
    /// this writer's input, initialisers and nodes.
    /// </summary>
    internal sealed class Writer(GraphProto graph, string name, TorchSharp.torch.nn.Module module, string input, string? output = null, int rank = 2)
    {
        private string Output => output ?? name + "_out";

        /// <summary>The module written.</summary>
        public TorchSharp.torch.nn.Module Module => module;

        /// <summary>The name of the module's input.</summary>
        public string Input => input;

        /// <summary>The rank of the module's output (2 for [batch, features]).</summary>
        public int Rank => rank;

        public string Write()
        {
            var kind = Compaction.Modules.ModuleKind.Of(module)
                ?? throw Unsupported($"it is a {module.GetType().Name}; ONNX export writes {ModuleSettings.Supported}, and in graphs ReLU6, Hardswish, AdaptiveAvgPool2d to 1x1, LayerNorm and Embedding");
            return kind.WriteOnnx(this, ModuleSettings.Read(module));
        }

        /// <summary>Adds a node of <paramref name="op"/> whose output is named after the module's with <paramref name="suffix"/>, and returns that name.</summary>
        public string Intermediate(string op, string suffix, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            var value = Output + suffix;
            graph.Node.Add(Node(op, value, inputs, [value], attributes));
            return value;
        }

        /// <summary>A float scalar initialiser named after the module's output (Clip's bounds).</summary>
        public string Scalar(string part, float value)
        {
            var full = $"{Output}.{part}";
            graph.Initializer.Add(Dense(full, tensor(value)));
            return full;
        }

        /// <summary>The module's bias as an initialiser (times its mask), or nothing.</summary>
        public IEnumerable<string> Bias() =>
            LayerWeights.EffectiveBias(module) is { } bias ? [Initializer("bias", bias)] : [];

        /// <summary>Adds the module's node and returns its output's name.</summary>
        public string Add(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
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
        public string Initializer(string part, Tensor value)
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

        /// <summary>The error for this module: it cannot be written, and why.</summary>
        public NotSupportedException Unsupported(string why) =>
            new(string.Create(CultureInfo.InvariantCulture, $"Layer '{name}' cannot be exported to ONNX: {why}."));
    }
}
