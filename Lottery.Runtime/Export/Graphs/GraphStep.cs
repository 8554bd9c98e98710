using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Export.Graphs;

/// <summary>One step of a captured graph: it reads values by name and writes one value.</summary>
/// <param name="Output">The value the step writes.</param>
public abstract record GraphStep(string Output);

/// <summary>A call of a module without submodules (a layer, a norm, an activation, a pool), as written in the model.</summary>
/// <param name="Module">The module.</param>
/// <param name="Path">Its name in the model (<c>blocks.0.conv1</c>), as its parameters are named in the state dictionary.</param>
/// <param name="Input">The value it reads.</param>
/// <param name="Output">The value it writes.</param>
/// <param name="OutputShape">The shape of its output for the example input (the batch first).</param>
public sealed record ModuleStep(nn.Module Module, string Path, string Input, string Output, IReadOnlyList<long> OutputShape) : GraphStep(Output)
{
    /// <summary>For a native TransformerEncoderLayer, the settings it computes with; else null.</summary>
    public TransformerLayerSpec? Transformer { get; init; }
}

/// <summary>A tensor operation between modules (<see cref="GraphOps"/> names them).</summary>
/// <param name="Op">The operation.</param>
/// <param name="Inputs">The values it reads.</param>
/// <param name="Output">The value it writes.</param>
/// <param name="Ints">Its integer arguments (axes, sizes), empty when it takes none.</param>
/// <param name="Scalar">Its number argument (for an operation with a number), else null.</param>
/// <param name="Rank">The rank of its first input, which some operations need to be written.</param>
public sealed record OpStep(string Op, IReadOnlyList<string> Inputs, string Output, IReadOnlyList<long> Ints, double? Scalar, int Rank) : GraphStep(Output)
{
    /// <summary>A flag argument (keepdim, the approximation of GELU as 0 or 1).</summary>
    public bool Flag { get; init; }
}

/// <summary>A tensor the model holds outside any module (a learned position table, a constant): its values go into the file.</summary>
/// <param name="Path">Its name in the model's state dictionary, or a name made up for a constant the model does not register.</param>
/// <param name="Value">The tensor.</param>
/// <param name="Output">The value it becomes.</param>
public sealed record ConstantStep(string Path, Tensor Value, string Output) : GraphStep(Output);

/// <summary>
/// The operations <see cref="OpStep"/> knows, by name: each is the PyTorch function or tensor method of that name (add_scalar and
/// mul_scalar take <see cref="OpStep.Scalar"/>; global_avg_pool is adaptive average pooling to 1x1).
/// </summary>
public static class GraphOps
{
#pragma warning disable CS1591 // The names say what they are.
    public const string Add = "add";
    public const string Sub = "sub";
    public const string Mul = "mul";
    public const string Div = "div";
    public const string AddScalar = "add_scalar";
    public const string MulScalar = "mul_scalar";
    public const string Relu = "relu";
    public const string Relu6 = "relu6";
    public const string Gelu = "gelu";
    public const string Sigmoid = "sigmoid";
    public const string Tanh = "tanh";
    public const string Silu = "silu";
    public const string Hardswish = "hardswish";
    public const string Softmax = "softmax";
    public const string Concat = "cat";
    public const string Flatten = "flatten";
    public const string Reshape = "reshape";
    public const string Mean = "mean";
    public const string Transpose = "transpose";
    public const string Permute = "permute";
    public const string GlobalAveragePool = "global_avg_pool";
#pragma warning restore CS1591
}
