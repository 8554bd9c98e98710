using System.Globalization;
using Google.Protobuf;
using Lottery.Export.Graphs;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Export;

/// <summary>The ONNX export of any model whose graph <see cref="GraphCapture"/> captures (residual blocks, concatenations, pooling heads).</summary>
public static partial class OnnxExport
{
    /// <summary>
    /// Writes <paramref name="model"/> (dense, masked or compacted in place) to <paramref name="path"/> (atomically): its graph is
    /// captured from its <c>forward</c> (<see cref="GraphCapture"/>), so it need not be a chain. A <see cref="Sequential"/> is written as a chain.
    /// </summary>
    /// <exception cref="NotSupportedException">A module or a line of <c>forward</c> cannot be written (<see cref="GraphCaptureException"/>); the message names it, and no file is written.</exception>
    public static void Save(nn.Module model, string path, IReadOnlyList<long> inputShape)
    {
        var bytes = ToBytes(model, inputShape);
        AtomicFile.Write(path, temporary => File.WriteAllBytes(temporary, bytes));
    }

    /// <summary>The ONNX model of <paramref name="model"/>, serialized; see <see cref="Save(nn.Module, string, IReadOnlyList{long})"/>.</summary>
    public static byte[] ToBytes(nn.Module model, IReadOnlyList<long> inputShape) =>
        (model is Sequential chain ? ToModel(chain, inputShape) : ToModel(GraphCapture.Capture(model, inputShape))).ToByteArray();

    /// <summary>The ONNX model of a captured graph.</summary>
    /// <exception cref="NotSupportedException">A step cannot be written; the message names its module or operation.</exception>
    public static ModelProto ToModel(CapturedGraph captured)
    {
        ArgumentNullException.ThrowIfNull(captured);
        var graph = new GraphProto { Name = "lottery" };
        graph.Input.Add(Value(InputName, [null, .. captured.InputShape.Select(d => (long?)d)], indices: captured.InputType == ScalarType.Int64));
        using (NewDisposeScope())
        using (no_grad())
        {
            foreach (var step in captured.Steps)
            {
                switch (step)
                {
                    case ModuleStep { Module: AdaptiveAvgPool2d } pool:
                        if (pool.OutputShape.Count != 4 || pool.OutputShape[2] != 1 || pool.OutputShape[3] != 1)
                        {
                            throw new GraphCaptureException($"Layer '{pool.Path}' cannot be exported to ONNX: it pools to [{string.Join(", ", pool.OutputShape.Skip(2))}]; graph export writes adaptive average pooling to 1x1 (a global average).");
                        }

                        graph.Node.Add(Node("GlobalAveragePool", pool.Output, [pool.Input], [pool.Output]));
                        break;
                    case ModuleStep { Transformer: { } spec } transformer:
                        WriteTransformer(graph, transformer, spec);
                        break;
                    case ModuleStep module:
                        var written = new Writer(graph, module.Path, module.Module, module.Input, module.Output, module.OutputShape.Count).Write();
                        if (written != module.Output)
                        {
                            // A module that is nothing at inference (Dropout, Identity): its output is its input.
                            graph.Node.Add(Node("Identity", module.Output, [written], [module.Output]));
                        }

                        break;
                    case ConstantStep constant:
                        graph.Initializer.Add(Dense(constant.Output, constant.Value));
                        break;
                    case OpStep op:
                        WriteOp(graph, op);
                        break;
                }
            }
        }

        return Finish(graph, captured.Output);
    }

    private static void WriteOp(GraphProto graph, OpStep op)
    {
        var name = op.Output;
        void Add(string type, IEnumerable<string> inputs, params AttributeProto[] attributes) => graph.Node.Add(Node(type, name, inputs, [op.Output], attributes));
        string Constant(string part, Tensor value)
        {
            var full = $"{name}.{part}";
            graph.Initializer.Add(Dense(full, value));
            return full;
        }

        switch (op.Op)
        {
            case GraphOps.Add:
                Add("Add", op.Inputs);
                break;
            case GraphOps.Sub:
                Add("Sub", op.Inputs);
                break;
            case GraphOps.Mul:
                Add("Mul", op.Inputs);
                break;
            case GraphOps.Div:
                Add("Div", op.Inputs);
                break;
            case GraphOps.AddScalar:
                Add("Add", [op.Inputs[0], Constant("scalar", tensor((float)op.Scalar!.Value))]);
                break;
            case GraphOps.MulScalar:
                Add("Mul", [op.Inputs[0], Constant("scalar", tensor((float)op.Scalar!.Value))]);
                break;
            case GraphOps.Relu:
                Add("Relu", op.Inputs);
                break;
            case GraphOps.Relu6:
                Add("Clip", [op.Inputs[0], Constant("min", tensor(0f)), Constant("max", tensor(6f))]);
                break;
            case GraphOps.Gelu:
                Add("Gelu", op.Inputs, Text("approximate", op.Flag ? "tanh" : "none"));
                break;
            case GraphOps.Sigmoid:
                Add("Sigmoid", op.Inputs);
                break;
            case GraphOps.Tanh:
                Add("Tanh", op.Inputs);
                break;
            case GraphOps.Hardswish:
                Add("HardSwish", op.Inputs);
                break;
            case GraphOps.Silu:
                graph.Node.Add(Node("Sigmoid", name + "_sigmoid", [op.Inputs[0]], [name + "_sigmoid"]));
                Add("Mul", [op.Inputs[0], name + "_sigmoid"]);
                break;
            case GraphOps.Softmax:
                Add("Softmax", op.Inputs, Int("axis", op.Ints[0]));
                break;
            case GraphOps.Concat:
                Add("Concat", op.Inputs, Int("axis", op.Ints[0]));
                break;
            case GraphOps.Flatten when op.Ints[0] == 0 && op.Ints[1] == op.Rank - 1:
                Add("Reshape", [op.Inputs[0], Constant("shape", tensor(new[] { -1L }))]); // every axis, the batch too
                break;
            case GraphOps.Flatten when op.Ints[1] == op.Rank - 1:
                Add("Flatten", op.Inputs, Int("axis", op.Ints[0]));
                break;
            case GraphOps.Flatten:
                throw new GraphCaptureException(string.Create(CultureInfo.InvariantCulture, $"Graph export cannot write '{name}': a flatten of axes {op.Ints[0]} to {op.Ints[1]} of {op.Rank} (it writes flattens to the last axis)."));
            case GraphOps.Reshape:
                Add("Reshape", [op.Inputs[0], Constant("shape", tensor(op.Ints.ToArray()))]);
                break;
            case GraphOps.Mean:
                Add("ReduceMean", [op.Inputs[0], Constant("axes", tensor(op.Ints.ToArray()))], Int("keepdims", op.Flag ? 1 : 0));
                break;
            case GraphOps.Transpose:
                var perm = Enumerable.Range(0, op.Rank).Select(i => (long)i).ToArray();
                (perm[op.Ints[0]], perm[op.Ints[1]]) = (perm[op.Ints[1]], perm[op.Ints[0]]);
                Add("Transpose", op.Inputs, Ints("perm", perm));
                break;
            case GraphOps.Permute:
                Add("Transpose", op.Inputs, Ints("perm", op.Ints));
                break;
            case GraphOps.GlobalAveragePool:
                Add("GlobalAveragePool", op.Inputs);
                break;
            default:
                throw new GraphCaptureException($"Graph export cannot write '{name}': it does not know the operation '{op.Op}'.");
        }
    }

    /// <summary>A TransformerEncoderLayer as ONNX operators: self-attention by heads, add and LayerNorm, feed-forward, add and LayerNorm.</summary>
    private static void WriteTransformer(GraphProto graph, ModuleStep step, TransformerLayerSpec spec)
    {
        var w = TransformerLayerSpec.Weights(step.Module);
        var prefix = step.Output;
        var count = 0;
        string Next() => $"{prefix}/{count++}";
        string Init(string name, Tensor value)
        {
            var full = $"{step.Path}.{name}";
            if (!graph.Initializer.Any(i => i.Name == full))
            {
                graph.Initializer.Add(Dense(full, value));
            }

            return full;
        }

        string Op(string type, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            var output = Next();
            graph.Node.Add(Node(type, output, inputs, [output], attributes));
            return output;
        }

        string Linear(string input, string name) =>
            Op("Add", [Op("MatMul", [input, Init(name + ".weight_t", w[name + ".weight"].t())]), Init(name + ".bias", w[name + ".bias"])]);

        var (inner, head) = (spec.Inner, spec.HeadSize);
        var x = step.Input;
        var qkv = Op("Add", [Op("MatMul", [x, Init("self_attn.in_proj_weight_t", w["self_attn.in_proj_weight"].t())]), Init("self_attn.in_proj_bias", w["self_attn.in_proj_bias"])]);
        var parts = new[] { Next(), Next(), Next() };
        graph.Node.Add(Node("Split", parts[0] + "_split", [qkv, Init("split", tensor(new[] { inner, inner, inner }))], parts, Int("axis", 2)));
        var byHead = Init("heads_shape", tensor(new[] { 0L, -1, head }));
        string Heads(string part, long[] perm) => Op("Transpose", [Op("Reshape", [part, byHead])], Ints("perm", perm));
        var q = Op("Mul", [Heads(parts[0], [1, 0, 2]), Init("scale", tensor((float)(1.0 / Math.Sqrt(head))))]);
        var k = Heads(parts[1], [1, 2, 0]);
        var v = Heads(parts[2], [1, 0, 2]);
        var attended = Op("MatMul", [Op("Softmax", [Op("MatMul", [q, k])], Int("axis", -1)), v]);
        var merged = Op("Reshape", [Op("Transpose", [attended], Ints("perm", [1, 0, 2])), Init("inner_shape", tensor(new[] { 0L, -1, inner }))]);
        var attention = Linear(merged, "self_attn.out_proj");
        var first = Op("LayerNormalization", [Op("Add", [x, attention]), Init("norm1.weight", w["norm1.weight"]), Init("norm1.bias", w["norm1.bias"])], Int("axis", -1), Float("epsilon", spec.Eps));
        var hidden = Linear(first, "linear1");
        hidden = spec.Activation == "gelu" ? Op("Gelu", [hidden]) : Op("Relu", [hidden]);
        var feedForward = Linear(hidden, "linear2");
        graph.Node.Add(Node("LayerNormalization", step.Output, [Op("Add", [first, feedForward]), Init("norm2.weight", w["norm2.weight"]), Init("norm2.bias", w["norm2.bias"])], [step.Output], Int("axis", -1), Float("epsilon", spec.Eps)));
    }

    private static TensorProto Dense(string name, Tensor value)
    {
        using var data = value.detach().cpu().contiguous();
        TensorProto proto;
        if (data.dtype == ScalarType.Int64)
        {
            proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            proto.Int64Data.AddRange(data.data<long>().ToArray());
        }
        else
        {
            using var floats = data.to(ScalarType.Float32);
            proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            proto.FloatData.AddRange(floats.data<float>().ToArray());
        }

        proto.Dims.AddRange(data.shape);
        return proto;
    }
}
