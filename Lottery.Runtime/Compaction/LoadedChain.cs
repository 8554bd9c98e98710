using TorchSharp.Modules;

namespace Lottery.Compaction;

/// <summary>A chain read from a chain file (<see cref="ChainFile.LoadWithInputShape"/>) with the input shape saved beside it.</summary>
/// <param name="Model">
/// The chain rebuilt from the file's description with the file's weights, on the CPU, in evaluation mode. The caller
/// owns it and disposes it.
/// </param>
/// <param name="InputShape">The shape of one sample (without the batch axis) given when the file was saved; null when none was given.</param>
public sealed record LoadedChain(Sequential Model, IReadOnlyList<long>? InputShape);
