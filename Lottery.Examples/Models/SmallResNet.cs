using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// A residual block of He et al. (2016): 3x3 conv, batch norm, ReLU, 3x3 conv, batch norm, plus the input, through a
/// 1x1 projection conv when the block changes the width or the stride. Its convolutions are declared [Prunable] here,
/// once; every model that holds blocks masks each block's layers under its own name (<c>blocks.1.conv1</c>).
/// </summary>
public sealed partial class BasicBlock : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv2d conv1;

    private readonly BatchNorm2d norm1;

    [Prunable]
    private readonly Conv2d conv2;

    private readonly BatchNorm2d norm2;

    /// <summary>The projection shortcut; null when the block keeps width and stride (the shortcut is the input itself).</summary>
    [Prunable]
    private readonly Conv2d? projection;

    private readonly BatchNorm2d? projectionNorm;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels, striding by <paramref name="stride"/>.</summary>
    public BasicBlock(int inChannels, int outChannels, int stride = 1)
        : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        norm1 = nn.BatchNorm2d(outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        norm2 = nn.BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
        {
            projection = nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false);
            projectionNorm = nn.BatchNorm2d(outChannels);
        }

        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var main = norm2.call(conv2.call(nn.functional.relu(norm1.call(conv1.call(input)))));
        var shortcut = projection is null ? input : projectionNorm!.call(projection.call(input));
        return nn.functional.relu(main + shortcut).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A small ResNet for square grey images (28x28 Fashion-MNIST, 8x8 digits): a 3x3 stem conv of 16 channels, three
/// <see cref="BasicBlock"/>s (16, 32 and 64 channels, the last two striding by 2 with projection shortcuts), global
/// average pooling and a Linear head. Only the stem and the head are declared here; the blocks declare their own.
/// Imp and EveryEpochMagnitude prune single weights; ImpChannels and EveryEpochChannels prune whole channels by dependency
/// groups (each with its batch-norm entries, the next convolutions' input channels and, across the residual adds, the same
/// channel of every branch), 20% of each group's channels per event; the head, in no group, loses single weights.
/// ImpChannels8 is ImpChannels with each group kept at a multiple of 8 channels (RoundTo = 8), for vectorized kernels;
/// TuneChannels8 prunes the same way but keeps the trained weights and trains on (prune and fine-tune, no rewind).
/// </summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 3, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.512, EndEpoch = 3)]
[PruneSchedule(ScheduleKind.Iterative, Name = "ImpChannels", Rate = 0.2, Rounds = 3, Rewind = RewindKind.ToInit, Groups = true)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochChannels", Rate = 0.2, TargetRemaining = 0.27, EndEpoch = 3, Groups = true)]
[PruneSchedule(ScheduleKind.Iterative, Name = "ImpChannels8", Rate = 0.2, Rounds = 3, Rewind = RewindKind.ToInit, Groups = true, RoundTo = 8)]
[PruneSchedule(ScheduleKind.Iterative, Name = "TuneChannels8", Rate = 0.2, Rounds = 3, Rewind = RewindKind.None, Groups = true, RoundTo = 8)]
public sealed partial class SmallResNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv2d stem;

    private readonly BatchNorm2d stemNorm;

    private readonly Sequential blocks;

    [Prunable(0.1)]
    private readonly Linear head;

    /// <summary>Creates the network for <paramref name="classes"/> classes with freshly initialised weights.</summary>
    public SmallResNet(int classes = 10)
        : base(nameof(SmallResNet))
    {
        stem = nn.Conv2d(1, 16, 3, padding: 1, bias: false);
        stemNorm = nn.BatchNorm2d(16);
        blocks = nn.Sequential(new BasicBlock(16, 16), new BasicBlock(16, 32, stride: 2), new BasicBlock(32, 64, stride: 2));
        head = nn.Linear(64, classes);
        RegisterComponents();
    }

    /// <summary>Takes images as [batch, pixels] (flattened, square) or [batch, 1, side, side].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var images = input.dim() == 2 ? input.view(input.shape[0], 1, (long)Math.Sqrt(input.shape[1]), -1) : input;
        var features = blocks.call(nn.functional.relu(stemNorm.call(stem.call(images))));
        return head.call(features.mean([2, 3])).MoveToOuterDisposeScope();
    }
}
