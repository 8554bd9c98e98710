using Lottery.Layers;
using Lottery.Schedules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>
/// A transformer classifier for square grey images read as rows: each row of pixels is a token, embedded by a Linear
/// layer, with a learned position for each row; one TransformerEncoderLayer (4 heads, a feed-forward of twice the width);
/// the tokens' mean; a Linear head. The encoder layer is Lottery's <see cref="EncoderLayer"/> (TorchSharp's layer, written
/// in C#), so that compaction can remove its pruned heads and feed-forward neurons. Every weight is declared [Prunable]: the
/// embedding, the table of positions (a Parameter), the encoder layer's attention projections and feed-forward weights, and
/// the head. ImpHeads prunes the encoder by whole heads and feed-forward neurons, a quarter a round.
/// </summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 3, Rewind = RewindKind.ToInit)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpochMagnitude", Rate = 0.2, TargetRemaining = 0.512, EndEpoch = 3)]
[PruneSchedule(ScheduleKind.Iterative, Name = "ImpHeads", Rate = 0.25, Rounds = 3, Rewind = RewindKind.ToInit, Groups = true)]
public sealed partial class TransformerClassifier : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear embed;

    [Prunable]
    private readonly Parameter positions;

    [Prunable]
    private readonly EncoderLayer encoder;

    [Prunable(0.1)]
    private readonly Linear head;

    private readonly int side;

    /// <summary>A classifier of <paramref name="side"/> x <paramref name="side"/> images into <paramref name="classes"/> classes, <paramref name="width"/> wide.</summary>
    public TransformerClassifier(int side = 28, int classes = 10, int width = 32)
        : base(nameof(TransformerClassifier))
    {
        this.side = side;
        embed = nn.Linear(side, width);
        positions = nn.Parameter(zeros(side, 1, width));
        encoder = new EncoderLayer(width, heads: 4, feedForward: 2 * width, dropout: 0.0);
        head = nn.Linear(width, classes);
        RegisterComponents();
    }

    /// <summary>Takes images as [batch, pixels] (flattened) or [batch, 1, side, side].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var rows = input.reshape(input.shape[0], side, side).transpose(0, 1);   // [rows, batch, pixels]: a token per row
        var tokens = encoder.call(embed.call(rows) + positions);
        return head.call(tokens.mean([0])).MoveToOuterDisposeScope();
    }
}
