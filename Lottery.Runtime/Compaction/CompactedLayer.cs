namespace Lottery.Compaction;

/// <summary>What compaction did to one Linear or convolution of a chain.</summary>
/// <param name="Index">The layer's position in the chain.</param>
/// <param name="Name">The layer's name in the chain (its key in the state dictionary, <c>"1"</c> for an unnamed second module).</param>
/// <param name="Kind">The layer's type: <c>Linear</c>, <c>Conv1d</c> or <c>Conv2d</c>.</param>
/// <param name="InputsBefore">Input features (channels for a convolution) of the source layer.</param>
/// <param name="InputsAfter">Input features (channels) of the compacted layer.</param>
/// <param name="UnitsBefore">Output units (features or channels) of the source layer.</param>
/// <param name="UnitsAfter">Output units of the compacted layer.</param>
/// <param name="FoldedUnits">
/// Output units removed because they output a constant whatever the input (their weights from the surviving inputs
/// are all zero); the constant, carried through the modules that follow, was added to the next layer's bias.
/// </param>
/// <param name="UnusedUnits">Output units removed because the next layer's surviving units have only zero weights from them.</param>
/// <param name="ParametersBefore">Entries of the source layer's weight and bias, pruned ones included.</param>
/// <param name="ParametersAfter">Entries of the compacted layer's weight and bias.</param>
public sealed record CompactedLayer(
    int Index,
    string Name,
    string Kind,
    long InputsBefore,
    long InputsAfter,
    long UnitsBefore,
    long UnitsAfter,
    int FoldedUnits,
    int UnusedUnits,
    long ParametersBefore,
    long ParametersAfter);
