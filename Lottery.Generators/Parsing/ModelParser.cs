using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Parsing;

/// <summary>Turns a model class's [Prunable] and [PruneSchedule] declarations into a <see cref="ModelInfo"/> and diagnostics.</summary>
internal static partial class ModelParser
{
    /// <summary>
    /// Called for each class declaration carrying [PruneSchedule]. A class declared in several partial parts is
    /// parsed once: for the part holding its first [PruneSchedule].
    /// </summary>
    public static ParseResult<ModelInfo>? FromScheduleTrigger(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type)
        {
            return null;
        }

        var first = Schedules(type).FirstOrDefault()?.ApplicationSyntaxReference;
        if (first is null || first.SyntaxTree != context.TargetNode.SyntaxTree || !context.TargetNode.Span.Contains(first.Span))
        {
            return null;
        }

        return Parse(type, cancellationToken, context.SemanticModel.Compilation);
    }

    /// <summary>
    /// Called for each member carrying [Prunable]. Classes with [PruneSchedule] are parsed from that trigger;
    /// the others once, for their first [Prunable] member.
    /// </summary>
    public static ParseResult<ModelInfo>? FromLayerTrigger(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol.ContainingType is not { } type || Schedules(type).Any())
        {
            return null;
        }

        var first = type.GetMembers().FirstOrDefault(IsPrunable);
        return SymbolEqualityComparer.Default.Equals(first, context.TargetSymbol) ? Parse(type, cancellationToken, context.SemanticModel.Compilation) : null;
    }

    /// <summary>The schedules a model declares, read without reporting anything (experiments use this).</summary>
    public static List<ScheduleInfo> ReadSchedules(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        ParseSchedules(type, [], new DiagnosticList(), cancellationToken);

    /// <summary>Whether the model's own declarations have errors (then it gets no generated code, and experiments on it none either).</summary>
    public static bool HasErrors(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        Parse(type, cancellationToken).Value is null;

    public static bool IsPrunable(ISymbol member) =>
        member is IFieldSymbol or IPropertySymbol && member.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.PrunableAttribute);

    private static IEnumerable<AttributeData> Schedules(INamedTypeSymbol type) =>
        type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == KnownNames.PruneScheduleAttribute);

    private static ParseResult<ModelInfo> Parse(INamedTypeSymbol type, CancellationToken cancellationToken, Compilation? compilation = null)
    {
        var diagnostics = new DiagnosticList();
        var typeLocation = LocationInfo.From(type.Locations.FirstOrDefault());
        if (type.TypeKind != TypeKind.Class || !SymbolQueries.DerivesFrom(type, KnownNames.Module))
        {
            diagnostics.Add(DiagnosticDescriptors.NotAModule, typeLocation, type.Name);
        }

        SymbolQueries.CheckPartial(type, diagnostics, cancellationToken);
        var layers = ParseLayers(type, diagnostics, cancellationToken);
        var schedules = ParseSchedules(type, layers, diagnostics, cancellationToken);
        if (schedules.Count > 0 && !type.GetMembers().Any(IsPrunable) && !SymbolQueries.HoldsSubmodules(type))
        {
            diagnostics.Add(DiagnosticDescriptors.ScheduleWithoutLayers, new AttributeArguments(Schedules(type).First(), cancellationToken).Location, type.Name);
        }

        CheckGeneratedNames(type, layers, diagnostics);
        var chain = ChainParser.Parse(type, layers, diagnostics, cancellationToken);
        if (chain is not null)
        {
            SymbolQueries.CheckTakenNames(type, KnownNames.GeneratedChainMembers, "for a model with a [Chain]", diagnostics);
        }

        if (diagnostics.HasErrors)
        {
            return new ParseResult<ModelInfo>(null, diagnostics.ToEquatableArray());
        }

        var model = new ModelInfo(
            SymbolQueries.Hierarchy(type, cancellationToken),
            layers.ToEquatableArray(),
            schedules.ToEquatableArray(),
            CanCreate: SymbolQueries.WhyCannotCreate(type) is null)
        {
            Chain = chain,
            Trace = ForwardTraceParser.Parse(type, compilation, chain?.EmitForward == true, cancellationToken),
        };
        return new ParseResult<ModelInfo>(model, diagnostics.ToEquatableArray());
    }
}
