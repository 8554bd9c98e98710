using System.Globalization;

namespace Lottery.Compaction;

/// <summary>How much smaller compaction made a chain: per layer, and in parameters over the whole chain.</summary>
/// <param name="Layers">Each Linear and convolution of the chain, in chain order.</param>
/// <param name="ParametersBefore">Entries of every parameter of the source chain (pruned entries included, masks not).</param>
/// <param name="ParametersAfter">Entries of every parameter of the compacted chain.</param>
public sealed record CompactionReport(IReadOnlyList<CompactedLayer> Layers, long ParametersBefore, long ParametersAfter)
{
    /// <summary>One line per layer (units and inputs before and after, units folded and unused), then the parameter totals.</summary>
    public string Describe()
    {
        var width = Math.Max(5, Layers.Select(layer => layer.Name.Length).DefaultIfEmpty(0).Max());
        var lines = Layers.Select(layer => string.Create(
            CultureInfo.InvariantCulture,
            $"{layer.Name.PadRight(width)}  {layer.Kind,-7}  inputs {layer.InputsBefore,6:N0} -> {layer.InputsAfter,-6:N0}  units {layer.UnitsBefore,6:N0} -> {layer.UnitsAfter,-6:N0}  ({layer.FoldedUnits:N0} folded, {layer.UnusedUnits:N0} unused)"));
        var total = string.Create(
            CultureInfo.InvariantCulture,
            $"{"total".PadRight(width)}  parameters {ParametersBefore:N0} -> {ParametersAfter:N0}");
        return string.Join(Environment.NewLine, lines.Append(total));
    }
}
