using Lottery.Generators.Diagnostics;
using Lottery.Generators.Emitting;
using Lottery.Generators.Models;
using Lottery.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Lottery.Generators;

/// <summary>
/// Lottery's source generator: for each model with [Prunable] members (and [PruneSchedule]s) it emits the mask
/// registration, typed mask access, the ticket's save and load and the schedules as pruning settings; for each
/// [Experiment] it emits the experiment's definition. Every malformed declaration becomes a diagnostic.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PruningGenerator : IIncrementalGenerator
{
    /// <summary>The pipeline's named steps, for caching tests.</summary>
    public static class Steps
    {
        public const string ModelsFromSchedules = nameof(ModelsFromSchedules);
        public const string ModelsFromLayers = nameof(ModelsFromLayers);
        public const string Experiments = nameof(Experiments);
        public const string Models = nameof(Models);
        public const string ExperimentModels = nameof(ExperimentModels);
        public const string TraceOnly = nameof(TraceOnly);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var fromSchedules = context.SyntaxProvider.ForAttributeWithMetadataName(
                KnownNames.PruneScheduleAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                ModelParser.FromScheduleTrigger)
            .Where(static result => result is not null)
            .WithTrackingName(Steps.ModelsFromSchedules);

        var fromLayers = context.SyntaxProvider.ForAttributeWithMetadataName(
                KnownNames.PrunableAttribute,
                static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                ModelParser.FromLayerTrigger)
            .Where(static result => result is not null)
            .WithTrackingName(Steps.ModelsFromLayers);

        var experiments = context.SyntaxProvider.ForAttributeWithMetadataName(
                KnownNames.ExperimentAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                ExperimentParser.Parse)
            .Where(static result => result is not null)
            .WithTrackingName(Steps.Experiments);

        foreach (var models in new[] { fromSchedules, fromLayers })
        {
            context.RegisterSourceOutput(models.Select(static (r, _) => r!.Diagnostics).Combine(context.CompilationProvider), Report);
            context.RegisterSourceOutput(
                models.Select(static (r, _) => r!.Value).Where(static m => m is not null).WithTrackingName(Steps.Models),
                static (output, model) =>
                {
                    output.AddSource($"{model!.Hierarchy.HintName}.Pruning.g.cs", ModelEmitter.Emit(model));
                    if (model.Trace is { } trace)
                    {
                        output.AddSource($"{model.Hierarchy.HintName}.Trace.g.cs", TraceEmitter.Emit(model, trace));
                    }
                });
        }

        // Module classes Lottery writes nothing else for still get their traced forward, for graph export.
        var traceOnly = context.SyntaxProvider.CreateSyntaxProvider(
                static (node, _) => node is ClassDeclarationSyntax { BaseList: not null } declaration && declaration.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PartialKeyword),
                ForwardTraceParser.ParseTraceOnly)
            .Where(static result => result is not null)
            .WithTrackingName(Steps.TraceOnly);
        context.RegisterSourceOutput(traceOnly, static (output, model) => output.AddSource($"{model!.Hierarchy.HintName}.Trace.g.cs", TraceEmitter.Emit(model.Hierarchy, model.Trace, null)));

        context.RegisterSourceOutput(experiments.Select(static (r, _) => r!.Diagnostics).Combine(context.CompilationProvider), Report);
        context.RegisterSourceOutput(
            experiments.Select(static (r, _) => r!.Value).Where(static e => e is not null).WithTrackingName(Steps.ExperimentModels),
            static (output, experiment) => output.AddSource($"{experiment!.Hierarchy.HintName}.Experiment.g.cs", ExperimentEmitter.Emit(experiment)));
    }

    /// <summary>
    /// Reports the parse's diagnostics at locations in the current compilation's syntax trees (only reporting
    /// depends on the compilation; the models and the source output stay cached), so that #pragma warning and
    /// editor suppressions apply to them as to any compiler diagnostic.
    /// </summary>
    private static void Report(SourceProductionContext output, (EquatableArray<DiagnosticInfo> Diagnostics, Compilation Compilation) input)
    {
        foreach (var diagnostic in input.Diagnostics)
        {
            var location = diagnostic.Location is { } info
                ? input.Compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == info.FilePath) is { } tree && info.Start + info.Length <= tree.Length
                    ? Location.Create(tree, new TextSpan(info.Start, info.Length))
                    : info.ToLocation()
                : Location.None;
            output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ById[diagnostic.Id], location, diagnostic.Arguments.Cast<object>().ToArray()));
        }
    }
}
