using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// MobileNetV2's inverted residual (Sandler et al. 2018): a 1x1 conv expands the channels, a 3x3 depthwise conv (one
/// filter per channel) filters them, a 1x1 conv projects them back, each with batch norm (ReLU6 after the first two);
/// the input is added when the block keeps width and stride. The three convolutions are declared [Prunable] here.
/// </summary>
public sealed partial class InvertedResidual : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv2d expand;

    private readonly BatchNorm2d expandNorm;

    [Prunable]
    private readonly Conv2d depthwise;

    private readonly BatchNorm2d depthwiseNorm;

    [Prunable]
    private readonly Conv2d project;

    private readonly BatchNorm2d projectNorm;

    private readonly bool residual;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels, expanding by <paramref name="expansion"/>.</summary>
    public InvertedResidual(int inChannels, int outChannels, int stride = 1, int expansion = 4)
        : base(nameof(InvertedResidual))
    {
        var hidden = inChannels * expansion;
        expand = nn.Conv2d(inChannels, hidden, 1, bias: false);
        expandNorm = nn.BatchNorm2d(hidden);
        depthwise = nn.Conv2d(hidden, hidden, 3, stride: stride, padding: 1, groups: hidden, bias: false);
        depthwiseNorm = nn.BatchNorm2d(hidden);
        project = nn.Conv2d(hidden, outChannels, 1, bias: false);
        projectNorm = nn.BatchNorm2d(outChannels);
        residual = stride == 1 && inChannels == outChannels;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = nn.functional.relu6(depthwiseNorm.call(depthwise.call(nn.functional.relu6(expandNorm.call(expand.call(input))))));
        var output = projectNorm.call(project.call(hidden));
        return (residual ? output + input : output).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A small MobileNetV2-style network for square grey images: a 3x3 stem conv of 16 channels, four
/// <see cref="InvertedResidual"/> blocks (16, 24 with stride 2, 24, 32 with stride 2), global average pooling and a
/// Linear head. The blocks declare their own layers.
/// </summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 3, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.512, EndEpoch = 3)]
public sealed partial class SmallMobileNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv2d stem;

    private readonly BatchNorm2d stemNorm;

    private readonly ModuleList<InvertedResidual> blocks;

    [Prunable(0.1)]
    private readonly Linear head;

    /// <summary>Creates the network for <paramref name="classes"/> classes with freshly initialised weights.</summary>
    public SmallMobileNet(int classes = 10)
        : base(nameof(SmallMobileNet))
    {
        stem = nn.Conv2d(1, 16, 3, padding: 1, bias: false);
        stemNorm = nn.BatchNorm2d(16);
        blocks = nn.ModuleList(new InvertedResidual(16, 16), new InvertedResidual(16, 24, stride: 2), new InvertedResidual(24, 24), new InvertedResidual(24, 32, stride: 2));
        head = nn.Linear(32, classes);
        RegisterComponents();
    }

    /// <summary>Takes images as [batch, pixels] (flattened, square) or [batch, 1, side, side].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var features = nn.functional.relu6(stemNorm.call(stem.call(input.dim() == 2 ? input.view(input.shape[0], 1, (long)Math.Sqrt(input.shape[1]), -1) : input)));
        foreach (var block in blocks)
        {
            features = block.call(features);
        }

        return head.call(features.mean([2, 3])).MoveToOuterDisposeScope();
    }
}
