using System.Threading;
using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Parsing;

/// <summary>
/// Reads a model's [Chain] and checks that it is consistent: every name a readable module member taking and returning a
/// Tensor, none twice, every [Prunable] layer in it, no Linear fed by a Conv without a Flatten between them, no Conv
/// after a Linear, and a sample shape given.
/// </summary>
internal static class ChainParser
{
    public static ChainInfo? Parse(INamedTypeSymbol type, IReadOnlyList<LayerInfo> layers, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        var data = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownNames.ChainAttribute);
        if (data is null)
        {
            return null;
        }

        var attribute = new AttributeArguments(data, cancellationToken);
        var errorsBefore = diagnostics.ErrorCount;
        var names = attribute.Constructor(0) is { Kind: TypedConstantKind.Array } array
            ? array.Values.Select(v => v.Value as string).ToList()
            : [];
        if (names.Count == 0)
        {
            Report(diagnostics, attribute.Location, type, "lists no members; name the members holding the layers, in the order forward applies them");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new List<string>();
        string? lastLinear = null;
        string? convBeforeFlatten = null;
        for (var i = 0; i < names.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = names[i];
            var location = attribute.LocationOfConstructor(i);
            if (string.IsNullOrEmpty(name))
            {
                Report(diagnostics, location, type, "has an empty member name");
                continue;
            }

            if (!seen.Add(name!))
            {
                Report(diagnostics, location, type, $"lists '{name}' twice; a layer is applied once in a chain");
                continue;
            }

            var member = OwnAndInherited(type, name!).FirstOrDefault(m => m is IFieldSymbol or IPropertySymbol);
            var memberType = member switch
            {
                IFieldSymbol field => field.Type,
                IPropertySymbol { IsIndexer: false, GetMethod: not null } property => property.Type,
                _ => null,
            };
            if (member is null || member.IsStatic || memberType is null)
            {
                Report(diagnostics, location, type, $"names '{name}', which is not a readable instance field or property of {type.Name}");
                continue;
            }

            if (!SymbolQueries.DerivesFrom(memberType, KnownNames.TensorModule))
            {
                Report(diagnostics, location, type, $"names '{name}', a {memberType.ToDisplayString()}, which is not a module taking and returning a Tensor");
                continue;
            }

            // A member typed only as a module taking a Tensor could be anything, a Flatten included: it is not held against the chain.
            var kind = SymbolQueries.LayerType(memberType)
                ?? (memberType.ToDisplayString() is KnownNames.Flatten or KnownNames.TensorModule ? "Flatten" : "Other");
            if (kind.StartsWith("Conv", StringComparison.Ordinal))
            {
                if (lastLinear is not null)
                {
                    Report(diagnostics, location, type, $"applies the {kind} '{name}' after the Linear '{lastLinear}'; a chain runs its convolutions before its Linear layers");
                }

                convBeforeFlatten = name;
            }
            else if (kind == "Flatten")
            {
                convBeforeFlatten = null;
            }
            else if (kind == "Linear")
            {
                if (convBeforeFlatten is not null)
                {
                    Report(diagnostics, location, type, $"applies the Linear '{name}' to the output of the convolution '{convBeforeFlatten}' with no Flatten member between them; add an nn.Flatten() member to the chain");
                }

                lastLinear = name;
            }

            kinds.Add(kind);
        }

        foreach (var layer in layers.Where(l => !seen.Contains(l.Member)))
        {
            Report(diagnostics, attribute.Location, type, $"leaves out the [Prunable] member '{layer.Member}'; list every layer where forward applies it");
        }

        var shape = attribute.Named("InputShape") is { Kind: TypedConstantKind.Array } given
            ? given.Values.Select(v => v.Value is int size ? size : 0).ToList()
            : [];
        if (shape.Count == 0 || shape.Any(s => s <= 0))
        {
            Report(diagnostics, attribute.Has("InputShape") ? attribute.LocationOf("InputShape") : attribute.Location, type,
                "needs InputShape, one sample's shape without the batch dimension, every size positive (for example InputShape = new[] { 784 } or new[] { 1, 28, 28 })");
        }

        var writesForward = OwnAndInherited(type, "forward").Any(m => m is IMethodSymbol { Parameters.Length: 1, IsAbstract: false });
        if (!writesForward && !SymbolQueries.DerivesFrom(type, KnownNames.TensorModule))
        {
            Report(diagnostics, attribute.Location, type, "cannot write forward: the class writes none and is not a Module<Tensor, Tensor>; derive from nn.Module<Tensor, Tensor> or write forward");
        }

        if (diagnostics.ErrorCount > errorsBefore)
        {
            return null;
        }

        // The chain's last Linear or Conv computes the model's outputs: structured pruning there removes outputs.
        var outputLayer = names.Where((_, i) => kinds[i] == "Linear" || kinds[i].StartsWith("Conv", StringComparison.Ordinal)).LastOrDefault();
        if (layers.FirstOrDefault(l => l.Member == outputLayer) is { Structure: { } structure } last)
        {
            diagnostics.Add(DiagnosticDescriptors.StructuredOutputLayer, attribute.Location, type.Name, last.Member, structure);
        }

        return new ChainInfo(names.Select(n => n!).ToEquatableArray(), shape.ToEquatableArray(), EmitForward: !writesForward);
    }

    /// <summary>The members of that name on the type and on its base classes, up to the TorchSharp module it derives from.</summary>
    private static IEnumerable<ISymbol> OwnAndInherited(INamedTypeSymbol type, string name)
    {
        for (var current = type; current is not null && !current.ToDisplayString().StartsWith("TorchSharp.", StringComparison.Ordinal); current = current.BaseType)
        {
            foreach (var member in current.GetMembers(name))
            {
                yield return member;
            }
        }
    }

    private static void Report(DiagnosticList diagnostics, LocationInfo? location, INamedTypeSymbol type, string problem) =>
        diagnostics.Add(DiagnosticDescriptors.InvalidChain, location, type.Name, problem);
}
