using System.Collections.Concurrent;
using System.Collections.Immutable;
using Lottery.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Lottery.Generators.Diagnostics;

/// <summary>
/// LTH0035: a class that declares [Prunable] layers, has no [PruneSchedule], and is neither the type of a field or
/// property (or a type argument of one, as in <c>ModuleList&lt;Block&gt;</c>) nor created with <c>new</c> anywhere in the
/// compilation. Its layers would be masked only by a model holding one, and nothing does. It needs the whole
/// compilation, so it is an analyzer, not part of the generator's per-class pipeline.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnreachedLayersAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [DiagnosticDescriptors.UnreachedLayers];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var declaring = new ConcurrentBag<INamedTypeSymbol>();
            var held = new ConcurrentDictionary<ISymbol, bool>(SymbolEqualityComparer.Default);
            start.RegisterSymbolAction(
                symbol =>
                {
                    var type = (INamedTypeSymbol)symbol.Symbol;
                    if (type.GetMembers().Any(ModelParser.IsPrunable)
                        && !type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.PruneScheduleAttribute))
                    {
                        declaring.Add(type);
                    }

                    foreach (var member in type.GetMembers())
                    {
                        Hold(member switch { IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, _ => null }, held);
                    }
                },
                SymbolKind.NamedType);
            start.RegisterOperationAction(operation => Hold(((IObjectCreationOperation)operation.Operation).Type, held), OperationKind.ObjectCreation);
            start.RegisterCompilationEndAction(end =>
            {
                foreach (var type in declaring.Where(t => !held.ContainsKey(t.OriginalDefinition)))
                {
                    end.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnreachedLayers, type.Locations.FirstOrDefault(), type.Name));
                }
            });
        });
    }

    // A type, and each type argument of it, at any depth, counts as held.
    private static void Hold(ITypeSymbol? type, ConcurrentDictionary<ISymbol, bool> held)
    {
        if (type is not INamedTypeSymbol named)
        {
            return;
        }

        held.TryAdd(named.OriginalDefinition, true);
        foreach (var argument in named.TypeArguments)
        {
            Hold(argument, held);
        }
    }
}
