using Lottery.Generators.Diagnostics;
using Lottery.Generators.Vocabulary;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Parsing;

/// <summary>Reads the [Prunable] members of a model: the layers, their rates, criteria and structures.</summary>
internal static partial class ModelParser
{
    private static List<LayerInfo> ParseLayers(INamedTypeSymbol type, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        var layers = new List<LayerInfo>();
        foreach (var member in type.GetMembers().Where(IsPrunable))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var location = LocationInfo.From(member.Locations.FirstOrDefault());
            if (member.IsStatic)
            {
                diagnostics.Add(DiagnosticDescriptors.StaticMember, location, member.Name);
                continue;
            }

            ITypeSymbol memberType;
            if (member is IPropertySymbol property)
            {
                if (property.IsIndexer || property.GetMethod is null)
                {
                    diagnostics.Add(DiagnosticDescriptors.UnreadableMember, location, member.Name, property.IsIndexer ? "is an indexer" : "has no getter");
                    continue;
                }

                memberType = property.Type;
            }
            else
            {
                memberType = ((IFieldSymbol)member).Type;
            }

            if (SymbolQueries.LayerType(memberType) is not { } layerType)
            {
                diagnostics.Add(DiagnosticDescriptors.NotAPrunableLayer, location, member.Name, memberType.ToDisplayString());
                continue;
            }

            var attribute = new AttributeArguments(member.GetAttributes().First(a => a.AttributeClass?.ToDisplayString() == KnownNames.PrunableAttribute), cancellationToken);
            double? rate = attribute.Double("Rate") ?? (attribute.Constructor(0) is { Value: double fromConstructor } ? fromConstructor : null);
            if (rate is { } given && !(given > 0 && given < 1))
            {
                diagnostics.Add(DiagnosticDescriptors.RateOutOfRange, attribute.Has("Rate") ? attribute.LocationOf("Rate") : attribute.LocationOfConstructor(0), ValueText.Number(given));
            }

            var criterion = attribute.Enum("Criterion", KnownNames.CriterionKinds, "CriterionKind", diagnostics);
            var pruneBias = attribute.Bool("PruneBias") ?? false;
            if (pruneBias && layerType == KnownNames.ParameterType)
            {
                diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("PruneBias"), "PruneBias", $"{member.Name}, a Parameter, which has no bias");
            }
            else if (pruneBias && SymbolQueries.CreatedWithoutBias(member, cancellationToken) is { } noBias)
            {
                diagnostics.Add(DiagnosticDescriptors.PrunedBiasMissing, attribute.LocationOf("PruneBias"), member.Name, noBias);
            }

            var structure = attribute.Enum("Structure", KnownNames.Structures, "Structure", diagnostics);
            if (structure is nameof(Structure.Neurons) or nameof(Structure.Channels)
                && (!KnownNames.StructuredLayers.Contains(layerType) || (structure == nameof(Structure.Neurons)) != (layerType == "Linear")))
            {
                var fits = !KnownNames.StructuredLayers.Contains(layerType) ? nameof(Structure.Unstructured) : layerType == "Linear" ? nameof(Structure.Neurons) : nameof(Structure.Channels);
                diagnostics.Add(DiagnosticDescriptors.StructureDoesNotFit, attribute.LocationOf("Structure"), member.Name, layerType, structure, fits);
            }

            var heads = attribute.Int("Heads");
            if (heads is not null && !KnownNames.ManyWeightLayers.Contains(layerType))
            {
                diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("Heads"), "Heads", $"{member.Name}, a {layerType}, which has no attention heads");
            }
            else if (heads is < 1)
            {
                diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("Heads"), $"Heads = {heads}", $"{member.Name}: give the heads the layer was created with, at least 1");
            }

            layers.Add(new LayerInfo(member.Name, layerType, rate, criterion, pruneBias, AccessorStem(member.Name)) { Structure = structure is null or nameof(Structure.Unstructured) ? null : structure, MayBeNull = memberType.NullableAnnotation == NullableAnnotation.Annotated, Heads = heads is >= 1 ? heads : null });
        }

        return layers;
    }

    private static List<LayerCriterion> LayerCriteria(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var layers = new List<LayerCriterion>();
        foreach (var member in type.GetMembers().Where(IsPrunable))
        {
            var attribute = new AttributeArguments(member.GetAttributes().First(a => a.AttributeClass?.ToDisplayString() == KnownNames.PrunableAttribute), cancellationToken);
            if (attribute.Named("Criterion") is { Value: int value } && value >= 0 && value < KnownNames.CriterionKinds.Length)
            {
                layers.Add(new LayerCriterion(member.Name, KnownNames.CriterionKinds[value], attribute.LocationOf("Criterion")));
            }
        }

        return layers;
    }

    private sealed record LayerCriterion(string Member, string Criterion, LocationInfo? Location);
}
