using System.Threading;
using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Parsing;

/// <summary>Turns an [Experiment] declaration into an <see cref="ExperimentInfo"/> and diagnostics.</summary>
internal static class ExperimentParser
{
    public static ParseResult<ExperimentInfo>? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.FirstOrDefault() is not { } data)
        {
            return null;
        }

        var diagnostics = new DiagnosticList();
        TypeFacts.CheckPartial(type, diagnostics, cancellationToken);
        TypeFacts.CheckTakenNames(type, KnownNames.GeneratedExperimentMembers, "for every experiment", diagnostics);

        var attribute = new AttributeArguments(data, cancellationToken);
        if (attribute.Constructor(0) is not { Value: INamedTypeSymbol model })
        {
            // typeof(...) did not bind, or is null: the compiler reports it.
            return new ParseResult<ExperimentInfo>(null, diagnostics.ToEquatableArray());
        }

        var modelLocation = attribute.LocationOfConstructor(0);
        var schedules = ModelParser.ReadSchedules(model.IsUnboundGenericType ? model.OriginalDefinition : model, cancellationToken);
        if (schedules.Count == 0)
        {
            diagnostics.Add(DiagnosticDescriptors.ModelWithoutPruning, modelLocation, model.ToDisplayString());
        }
        else if (TypeFacts.WhyCannotCreate(model) is { } why)
        {
            diagnostics.Add(DiagnosticDescriptors.ModelCannotBeCreated, modelLocation, model.ToDisplayString(), why);
        }

        var dataSet = attribute.Named("DataSet") is { } dataSetArgument ? dataSetArgument.Value as string : "mnist-digits";
        if (dataSet is null || !KnownNames.DataSets.Contains(dataSet))
        {
            diagnostics.Add(DiagnosticDescriptors.UnknownDataSet, attribute.LocationOf("DataSet"), dataSet ?? "null", string.Join(", ", KnownNames.DataSets));
        }

        var optimizer = attribute.Enum("Optimizer", KnownNames.OptimizerKinds, "OptimizerKind", diagnostics) ?? "Adam";

        var learningRate = attribute.Double("LearningRate") ?? 1.2e-3;
        Require(learningRate > 0 && !double.IsInfinity(learningRate), "LearningRate", Format.Number(learningRate), "give a positive learning rate, for example 1.2e-3");
        var batchSize = attribute.Int("BatchSize") ?? 60;
        Require(batchSize >= 1, "BatchSize", batchSize, "a batch holds at least 1 image");
        var epochs = attribute.Int("Epochs") ?? 10;
        Require(epochs >= 1, "Epochs", epochs, "train for at least 1 epoch");
        var validation = attribute.Int("Validation") ?? 1000;
        Require(validation >= 0, "Validation", validation, "hold out 0 or more training images");

        var seeds = new List<int>();
        if (attribute.Named("Seeds") is not { } seedsArgument)
        {
            seeds.Add(1);
        }
        else if (seedsArgument.IsNull || seedsArgument.Values.Length == 0)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf("Seeds"), "Seeds is empty; give at least one seed, for example new[] { 1, 2, 3 }");
        }
        else
        {
            foreach (var seed in seedsArgument.Values.Select(v => v.Value).OfType<int>())
            {
                if (seeds.Contains(seed))
                {
                    diagnostics.Add(DiagnosticDescriptors.Duplicate, attribute.LocationOf("Seeds"), $"Seeds lists {seed} twice; the same seed gives the same run");
                }
                else
                {
                    seeds.Add(seed);
                }
            }
        }

        var includeDense = attribute.Bool("IncludeDense") ?? true;
        var chosen = new List<string>();
        if (attribute.Named("Schedules") is { IsNull: false } schedulesArgument)
        {
            foreach (var name in schedulesArgument.Values.Select(v => v.Value as string))
            {
                if (name is null || !schedules.Any(s => s.Name == name))
                {
                    if (schedules.Count > 0)
                    {
                        diagnostics.Add(DiagnosticDescriptors.UnknownSchedule, attribute.LocationOf("Schedules"), model.Name, name ?? "null", string.Join(", ", schedules.Select(s => s.Name)));
                    }
                }
                else if (chosen.Contains(name))
                {
                    diagnostics.Add(DiagnosticDescriptors.Duplicate, attribute.LocationOf("Schedules"), $"Schedules lists '{name}' twice");
                }
                else
                {
                    chosen.Add(name);
                }
            }

            if (schedulesArgument.Values.Length == 0 && !includeDense)
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf("Schedules"), "The experiment has nothing to run: Schedules is empty and IncludeDense is false");
            }
        }
        else
        {
            chosen.AddRange(schedules.Select(s => s.Name));
        }

        if (epochs >= 1)
        {
            foreach (var schedule in schedules.Where(s => chosen.Contains(s.Name)))
            {
                if (ModelParser.UnreachedTarget(schedule, epochs) is { } reach && schedule.TargetRemaining is { } target)
                {
                    var location = attribute.Has("Epochs") ? attribute.LocationOf("Epochs") : attribute.Location;
                    diagnostics.Add(DiagnosticDescriptors.TargetNotReached, location, schedule.Name, Format.Percent(reach.Reached), Format.Percent(target), reach.Why);
                }
            }
        }

        // A model with errors of its own gets no generated code, so code referring to its schedules would not compile.
        // A model from a referenced assembly was generated there: its PruneSchedules class says so.
        var modelInSource = model.OriginalDefinition.DeclaringSyntaxReferences.Length > 0;
        if (!modelInSource && schedules.Count > 0 && model.GetTypeMembers("PruneSchedules").Length == 0)
        {
            diagnostics.Add(DiagnosticDescriptors.ModelCannotBeCreated, modelLocation, model.ToDisplayString(), "its assembly was built without Lottery's generator, so it has no PruneSchedules");
        }

        if (diagnostics.HasErrors || (modelInSource && ModelParser.HasErrors(model.OriginalDefinition, cancellationToken)))
        {
            return new ParseResult<ExperimentInfo>(null, diagnostics.ToEquatableArray());
        }

        var info = new ExperimentInfo(
            TypeFacts.Hierarchy(type, cancellationToken),
            model.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            dataSet!,
            optimizer,
            learningRate,
            batchSize,
            epochs,
            seeds.ToEquatableArray(),
            validation,
            chosen.ToEquatableArray(),
            includeDense);
        return new ParseResult<ExperimentInfo>(info, diagnostics.ToEquatableArray());

        void Require(bool ok, string name, object value, string what)
        {
            if (!ok)
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf(name), $"{name} is {value}; {what}");
            }
        }
    }
}
