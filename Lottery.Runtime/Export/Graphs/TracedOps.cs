using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Export.Graphs;

/// <summary>
/// The functions of <c>torch.nn.functional</c> and <c>torch</c> that graph export can write, over <see cref="Traced"/>
/// values, named and ordered as TorchSharp's. The generator points a traced <c>forward</c>'s calls of those functions here;
/// a function not listed here makes the traced <c>forward</c> one that throws, naming the line.
/// </summary>
public static class TracedOps
{
#pragma warning disable CS1591, IDE1006, SA1300 // Named as TorchSharp's functions, which the traced forward calls.
    public static Traced relu(Traced input, bool inplace = false) => input.Capture.Unary(GraphOps.Relu, input, nn.functional.relu(input.Value), inplace ? "relu(..., inplace: true)" : null);

    public static Traced relu6(Traced input, bool inplace = false) => input.Capture.Unary(GraphOps.Relu6, input, nn.functional.relu6(input.Value), inplace ? "relu6(..., inplace: true)" : null);

    public static Traced gelu(Traced input) => input.Capture.Gelu(input, tanh: false);

    public static Traced gelu(Traced input, GELU.Approximate approximate) => input.Capture.Gelu(input, approximate == GELU.Approximate.tanh);

    public static Traced sigmoid(Traced input, bool inplace = false) => input.sigmoid();

    public static Traced tanh(Traced input, bool inplace = false) => input.tanh();

    public static Traced silu(Traced input, bool inplace = false) => input.Capture.Unary(GraphOps.Silu, input, nn.functional.silu(input.Value), inplace ? "silu(..., inplace: true)" : null);

    public static Traced hardswish(Traced input, bool inplace = false) => input.Capture.Unary(GraphOps.Hardswish, input, nn.functional.hardswish(input.Value), inplace ? "hardswish(..., inplace: true)" : null);

    public static Traced softmax(Traced input, long dim, ScalarType? dtype = null) => input.Capture.Softmax(input, dim);

    public static Traced dropout(Traced input, double p = 0.5, bool training = true, bool inplace = false) => input;

    public static Traced flatten(Traced input, long start_dim = 0, long end_dim = -1) => input.flatten(start_dim, end_dim);

    public static Traced reshape(Traced input, params long[] shape) => input.reshape(shape);

    public static Traced transpose(Traced input, long dim0, long dim1) => input.transpose(dim0, dim1);

    public static Traced permute(Traced input, params long[] permutation) => input.permute(permutation);

    public static Traced mean(Traced input, long[] dimensions, bool keepdim = false, ScalarType? type = null) => input.mean(dimensions, keepdim, type);

    public static Traced add(Traced input, Traced other) => input + other;

    public static Traced add(Traced input, double other) => input + other;

    public static Traced add(Traced input, Traced other, Scalar alpha) => input.add(other, alpha);

    public static Traced mul(Traced input, double other) => input * other;

    public static Traced mul(Traced input, Traced other) => input * other;

    public static Traced cat(IList<Traced> tensors, long dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("cat of no tensors.", nameof(tensors));
        }

        return tensors[0].Capture.Concat(tensors, dim);
    }

    public static Traced adaptive_avg_pool2d(Traced input, long[] output_size) => input.Capture.AdaptiveAveragePool(input, output_size);

    public static Traced adaptive_avg_pool2d(Traced input, long output_size) => input.Capture.AdaptiveAveragePool(input, [output_size, output_size]);

    public static Traced adaptive_avg_pool2d(Traced input, (long, long) output_size) => input.Capture.AdaptiveAveragePool(input, [output_size.Item1, output_size.Item2]);

    public static Traced mean(Traced input) => input.mean();

    public static Traced div(Traced input, Traced other) => input / other;

    public static Traced sub(Traced input, Traced other) => input - other;
#pragma warning restore CS1591, IDE1006, SA1300
}
