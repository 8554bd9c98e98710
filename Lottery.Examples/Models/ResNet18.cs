using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// A basic block of <see cref="ResNet18"/>, with TorchVision's names (conv1, bn1, relu, conv2, bn2, downsample), so that
/// TorchVision's weights load into it.
/// </summary>
public sealed partial class ResNet18Block : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv2d conv1;

    private readonly BatchNorm2d bn1;

    private readonly ReLU relu;

    [Prunable]
    private readonly Conv2d conv2;

    private readonly BatchNorm2d bn2;

    private readonly Sequential? downsample;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels, striding by <paramref name="stride"/>.</summary>
    public ResNet18Block(long inChannels, long outChannels, long stride)
        : base("BasicBlock")
    {
        conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(outChannels);
        relu = nn.ReLU(inplace: true);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
        {
            downsample = nn.Sequential(nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), nn.BatchNorm2d(outChannels));
        }

        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var main = bn2.call(conv2.call(relu.call(bn1.call(conv1.call(input)))));
        var identity = downsample is null ? input : downsample.call(input);
        return relu.call(main + identity).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet-18 (He et al., 2016) declared in C#, a twin of TorchVision's <c>resnet18</c>: the same layers under the same
/// names, so that <c>load_state_dict</c> takes TorchVision's weights (and PyTorch's, through its state dictionary). Being
/// declared here, its <c>forward</c> is read by Lottery's generator, so it exports to ONNX and PyTorch as a graph, where
/// TorchVision's compiled forward cannot be read. ImpChannels prunes 20% of each dependency group's channels a round.
/// </summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "ImpChannels", Rate = 0.2, Rounds = 3, Rewind = RewindKind.ToInit, Groups = true)]
public sealed partial class ResNet18 : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv2d conv1;

    private readonly BatchNorm2d bn1;

    private readonly ReLU relu;

    private readonly MaxPool2d maxpool;

    private readonly Sequential layer1;

    private readonly Sequential layer2;

    private readonly Sequential layer3;

    private readonly Sequential layer4;

    private readonly AdaptiveAvgPool2d avgpool;

    [Prunable(0.1)]
    private readonly Linear fc;

    /// <summary>Creates the network for <paramref name="classes"/> classes, initialised as TorchSharp initialises new layers.</summary>
    public ResNet18(int classes = 1000)
        : base("ResNet")
    {
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64);
        relu = nn.ReLU(inplace: true);
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        layer1 = Layer(64, 64, 1);
        layer2 = Layer(64, 128, 2);
        layer3 = Layer(128, 256, 2);
        layer4 = Layer(256, 512, 2);
        avgpool = nn.AdaptiveAvgPool2d([1, 1]);
        fc = nn.Linear(512, classes);
        RegisterComponents();
    }

    /// <summary>Takes images as [batch, 3, height, width].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return fc.call(flatten(avgpool.call(x), 1)).MoveToOuterDisposeScope();
    }

    private static Sequential Layer(long inChannels, long outChannels, long stride) =>
        nn.Sequential(new ResNet18Block(inChannels, outChannels, stride), new ResNet18Block(outChannels, outChannels, 1));
}
