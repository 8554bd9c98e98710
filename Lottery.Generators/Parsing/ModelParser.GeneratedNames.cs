using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Parsing;

/// <summary>The names the generated code adds to a model, and the clashes with the model's own members (LTH0018).</summary>
internal static partial class ModelParser
{
    private static void CheckGeneratedNames(INamedTypeSymbol type, List<LayerInfo> layers, DiagnosticList diagnostics)
    {
        var location = LocationInfo.From(type.Locations.FirstOrDefault());
        var declared = SymbolQueries.CheckTakenNames(type, KnownNames.GeneratedModelMembers, "for every prunable model", diagnostics);

        var generated = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            foreach (var name in AccessorNames(layer))
            {
                if (declared.Contains(name))
                {
                    diagnostics.Add(DiagnosticDescriptors.NameClash, location, type.Name, name, $"for the layer '{layer.Member}'");
                }
                else if (generated.TryGetValue(name, out var other))
                {
                    diagnostics.Add(DiagnosticDescriptors.Duplicate, location, $"The layers '{other}' and '{layer.Member}' would both generate '{name}'; rename one of them");
                }
                else
                {
                    generated[name] = layer.Member;
                }
            }
        }
    }

    /// <summary>The accessors generated for a layer: <c>Fc1Mask</c>, <c>Fc1Sparsity</c>, and the bias's when it is pruned.</summary>
    public static IEnumerable<string> AccessorNames(LayerInfo layer)
    {
        yield return layer.AccessorName + "Mask";
        yield return layer.AccessorName + "Sparsity";
        if (layer.PruneBias)
        {
            yield return layer.AccessorName + "BiasMask";
            yield return layer.AccessorName + "BiasSparsity";
        }
    }

    /// <summary><c>fc1</c> and <c>_fc1</c> give <c>Fc1</c>.</summary>
    private static string AccessorStem(string member)
    {
        var trimmed = member.TrimStart('_');
        if (trimmed.Length == 0)
        {
            trimmed = "Layer";
        }

        return char.ToUpperInvariant(trimmed[0]) + trimmed.Substring(1);
    }
}
