using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// An inverted residual block of <see cref="MobileNetV2"/> with TorchVision's layout: its layers in one
/// <c>Sequential</c> named <c>conv</c> (a 1x1 expansion with norm and ReLU6 unless the expansion is 1, a 3x3 depthwise
/// conv with norm and ReLU6, a 1x1 projection and its norm), and the input added back when the block keeps width and
/// stride. It declares no [Prunable] member: its layers sit in the container, so it is pruned through
/// <c>MaskSet.Attach</c> and dependency groups, and Lottery's generator still reads its <c>forward</c> for graph export.
/// </summary>
public sealed partial class MobileNetV2Block : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv;

    private readonly bool residual;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels, expanding by <paramref name="expansion"/>.</summary>
    public MobileNetV2Block(long inChannels, long outChannels, long stride, long expansion)
        : base("InvertedResidual")
    {
        var hidden = inChannels * expansion;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expansion != 1)
        {
            layers.Add(MobileNetV2.ConvNormRelu6(inChannels, hidden, 1, 1, 1));
        }

        layers.Add(MobileNetV2.ConvNormRelu6(hidden, hidden, 3, stride, hidden));
        layers.Add(nn.Conv2d(hidden, outChannels, 1, bias: false));
        layers.Add(nn.BatchNorm2d(outChannels));
        conv = nn.Sequential(layers);
        residual = stride == 1 && inChannels == outChannels;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => residual ? input + conv.call(input) : conv.call(input);
}

/// <summary>
/// MobileNetV2 (Sandler et al., 2018) declared in C#, a twin of TorchVision's <c>mobilenet_v2</c>: the same layers under
/// the same names (<c>features.3.conv.1.0.weight</c>), so that <c>load_state_dict</c> takes TorchVision's weights, and a
/// <c>forward</c> Lottery's generator reads, so that it exports to ONNX and PyTorch as a graph.
/// </summary>
public sealed partial class MobileNetV2 : nn.Module<Tensor, Tensor>
{
    // (expansion, channels, blocks, first stride) of each stage, as in the paper's Table 2.
    private static readonly (long Expansion, long Channels, int Blocks, long Stride)[] Stages =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    private readonly Sequential features;

    private readonly Sequential classifier;

    /// <summary>Creates the network for <paramref name="classes"/> classes, initialised as TorchSharp initialises new layers.</summary>
    public MobileNetV2(int classes = 1000)
        : base("MobileNetV2")
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { ConvNormRelu6(3, 32, 3, 2, 1) };
        var channels = 32L;
        foreach (var (expansion, width, blocks, stride) in Stages)
        {
            for (var i = 0; i < blocks; i++)
            {
                layers.Add(new MobileNetV2Block(channels, width, i == 0 ? stride : 1, expansion));
                channels = width;
            }
        }

        layers.Add(ConvNormRelu6(channels, 1280, 1, 1, 1));
        features = nn.Sequential(layers);
        classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, classes));
        RegisterComponents();
    }

    /// <summary>Takes images as [batch, 3, height, width].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var pooled = nn.functional.adaptive_avg_pool2d(features.call(input), [1, 1]);
        return classifier.call(flatten(pooled, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>A convolution, its batch norm and ReLU6, as TorchVision's <c>Conv2dNormActivation</c> holds them.</summary>
    internal static Sequential ConvNormRelu6(long inChannels, long outChannels, long kernel, long stride, long groups) =>
        nn.Sequential(
            nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
            nn.BatchNorm2d(outChannels),
            nn.ReLU6());
}
