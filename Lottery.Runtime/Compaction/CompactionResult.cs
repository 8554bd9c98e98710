using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>A compacted chain and what compaction did to it.</summary>
/// <param name="Model">
/// The compacted chain, in evaluation mode. It shares no tensor with the source and has no mask buffer; the caller owns
/// it and disposes it.
/// </param>
/// <param name="Report">Units and parameters before and after, per layer and in total.</param>
public sealed record CompactionResult(Sequential Model, CompactionReport Report);
