using Lottery.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>
/// The effective weights of one Linear or convolution (weight times its mask, bias times its mask), read into arrays
/// for the unit analysis: which weights are nonzero, and each weight summed over its kernel taps.
/// </summary>
internal sealed class LayerWeights
{
    private readonly bool[] live;
    private readonly double[] tapSums;

    private LayerWeights(nn.Module layer, long outputs, long inputs, bool[] live, double[] tapSums, double[] bias)
    {
        Layer = layer;
        Outputs = outputs;
        Inputs = inputs;
        this.live = live;
        this.tapSums = tapSums;
        Bias = bias;
        FoldsConstants = layer is not Convolution conv || !ZeroPads(conv);
    }

    public nn.Module Layer { get; }

    /// <summary>Output units: features of a Linear, channels of a convolution.</summary>
    public long Outputs { get; }

    /// <summary>Input units: features of a Linear, channels of a convolution.</summary>
    public long Inputs { get; }

    /// <summary>The effective bias in double precision, zeros for a layer without one.</summary>
    public double[] Bias { get; }

    /// <summary>
    /// Whether a constant input channel adds the same amount at every output position, so that it can be folded
    /// into the bias: true for a Linear and for a convolution that pads nothing or pads with copies of the input
    /// (reflect, replicate, circular); false for zero padding, where the border taps see zeros instead of the constant.
    /// </summary>
    public bool FoldsConstants { get; }

    /// <summary>Whether output unit <paramref name="output"/> has a nonzero effective weight from input <paramref name="input"/>.</summary>
    public bool IsLive(long output, long input) => live[output * Inputs + input];

    /// <summary>The effective weights from <paramref name="input"/> to <paramref name="output"/> summed over the kernel's taps.</summary>
    public double TapSum(long output, long input) => tapSums[output * Inputs + input];

    public static LayerWeights Read(nn.Module layer)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weight = EffectiveWeight(layer).to(ScalarType.Float64).cpu();
        var outputs = weight.shape[0];
        var inputs = weight.shape[1];
        var perTap = weight.reshape(outputs, inputs, -1);
        var live = perTap.ne(0).any(2).reshape(-1).data<bool>().ToArray();
        var tapSums = perTap.sum(2).reshape(-1).data<double>().ToArray();
        var bias = EffectiveBias(layer) is { } b ? b.to(ScalarType.Float64).cpu().data<double>().ToArray() : new double[outputs];
        return new LayerWeights(layer, outputs, inputs, live, tapSums, bias);
    }

    /// <summary>The layer's weight times its <c>weight_mask</c> buffer, when it has one (a new tensor).</summary>
    public static Tensor EffectiveWeight(nn.Module layer) => Masked(layer, "weight", Weight(layer))!;

    /// <summary>The layer's bias times its <c>bias_mask</c> buffer, when it has one (a new tensor); null without a bias.</summary>
    public static Tensor? EffectiveBias(nn.Module layer) => Masked(layer, "bias", BiasOf(layer));

    public static Parameter Weight(nn.Module layer) => layer switch
    {
        Linear linear => linear.weight,
        Convolution conv => conv.weight,
        Embedding embedding => embedding.weight!,   // its table: export looks up the masked rows
        _ => throw new ArgumentException($"{layer.GetType().Name} is not a Linear, convolution or Embedding.", nameof(layer)),
    };

    public static Parameter? BiasOf(nn.Module layer) => layer switch
    {
        Linear linear => linear.bias,
        Convolution conv => conv.bias,
        _ => throw new ArgumentException($"{layer.GetType().Name} is not a Linear or convolution.", nameof(layer)),
    };

    private static Tensor? Masked(nn.Module layer, string parameterName, Tensor? parameter)
    {
        if (parameter is null)
        {
            return null;
        }

        var maskName = parameterName + MaskSet.MaskBufferSuffix;
        var mask = layer.named_buffers(recurse: false).FirstOrDefault(b => b.Item1 == maskName).Item2;
        return mask is null ? parameter.detach().clone() : parameter.detach().mul(mask);
    }

    private static bool ZeroPads(Convolution conv)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            return false;
        }

        return conv.padding_type switch
        {
            Padding.Valid => false,
            Padding.Same => conv.kernel_size.Zip(conv.dilation).Any(kd => kd.First > 1 && kd.Second > 0),
            _ => conv.padding?.Any(p => p != 0) ?? false,
        };
    }
}
