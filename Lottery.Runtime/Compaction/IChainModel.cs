using TorchSharp.Modules;

namespace Lottery.Compaction;

/// <summary>
/// A model whose layers are declared as a chain with <see cref="ChainAttribute"/>: the source generator implements
/// this, so tools (the command line's <c>compact</c> and <c>inference</c>) can compact any such model.
/// </summary>
public interface IChainModel
{
    /// <summary>One sample's shape, without the batch dimension.</summary>
    IReadOnlyList<long> InputShape { get; }

    /// <summary>The declared chain as an nn.Sequential sharing the model's layers (do not dispose it while the model is in use).</summary>
    Sequential ToSequential();

    /// <summary>A physically smaller copy of the model without its dead units, checked against the model's own forward.</summary>
    CompactionResult Compact();
}
