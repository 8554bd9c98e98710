namespace Lottery.Compaction;

/// <summary>What compaction keeps of one module, as <see cref="UnitAnalysis"/> decided it.</summary>
/// <param name="KeptInputs">
/// The positions along the unit axis (axis 0 of a sample) of the module's input that survive, ascending: the input
/// features or channels a layer keeps, the features a BatchNorm keeps.
/// </param>
internal sealed record LinkPlan(long[] KeptInputs)
{
    /// <summary>The output units a Linear or convolution keeps, ascending.</summary>
    public long[] KeptUnits { get; init; } = [];

    /// <summary>
    /// What the removed inputs with a constant value add to each output unit (indexed by the original unit), to be
    /// added to the bias: the weights from those inputs times their constants.
    /// </summary>
    public double[] BiasShift { get; init; } = [];

    /// <summary>Output units removed because they output a constant, folded into the next layer's bias.</summary>
    public int FoldedUnits { get; init; }

    /// <summary>Output units removed because no surviving unit of the next layer reads them.</summary>
    public int UnusedUnits { get; init; }
}
