using System.Threading;
using Lottery.Generators.Diagnostics;
using Lottery.Generators.Vocabulary;
using Lottery.Generators.Models;
using Lottery.Schedules;
using Lottery.Training;
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
        SymbolQueries.CheckPartial(type, diagnostics, cancellationToken);
        SymbolQueries.CheckTakenNames(type, KnownNames.GeneratedExperimentMembers, "for every experiment", diagnostics);

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
        else if (SymbolQueries.WhyCannotCreate(model) is { } why)
        {
            diagnostics.Add(DiagnosticDescriptors.ModelCannotBeCreated, modelLocation, model.ToDisplayString(), why);
        }

        var dataSet = attribute.Named("DataSet") is { } dataSetArgument ? dataSetArgument.Value as string : "mnist-digits";
        var dataType = ProviderType("Data", KnownNames.DataSourceInterface, "a data source");
        if (dataType is not null && attribute.Has("DataSet"))
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf("DataSet"), "Give DataSet (a built-in data set) or Data (your own data source), not both");
        }
        else if (dataType is null && !attribute.Has("Data") && (dataSet is null || !KnownNames.DataSets.Contains(dataSet)))
        {
            diagnostics.Add(DiagnosticDescriptors.UnknownDataSet, attribute.LocationOf("DataSet"), dataSet ?? "null", string.Join(", ", KnownNames.DataSets));
        }

        var lossType = ProviderType("Loss", KnownNames.LossInterface, "a loss");
        var experimentName = attribute.Named("Name") is { } nameArgument ? nameArgument.Value as string : type.Name;
        if (string.IsNullOrWhiteSpace(experimentName) || experimentName!.IndexOfAny(['/', '\\', ':', '*', '?', '"', '<', '>', '|']) >= 0 || experimentName is "." or "..")
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf("Name"), $"Name '{experimentName}' cannot be a folder name; use letters, digits and dashes");
        }

        var optimizer = attribute.Enum("Optimizer", KnownNames.OptimizerKinds, "OptimizerKind", diagnostics) ?? nameof(OptimizerKind.Adam);
        var sparseTraining = attribute.Enum("SparseTraining", KnownNames.SparseTrainingKinds, "SparseTraining", diagnostics) ?? nameof(SparseTraining.Dense);
        var device = attribute.Named("Device")?.Value as string;
        if (!DeviceName.IsValid(device))
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidDevice, attribute.LocationOf("Device"), device!, DeviceName.Allowed);
        }

        var numerics = attribute.Named("Numerics")?.Value as string;
        if (!NumericsName.IsValid(numerics))
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidNumerics, attribute.LocationOf("Numerics"), numerics!, NumericsName.Allowed);
        }

        var learningRate = attribute.Double("LearningRate") ?? 1.2e-3;
        Require(learningRate > 0 && !double.IsInfinity(learningRate), "LearningRate", ValueText.Number(learningRate), "give a positive learning rate, for example 1.2e-3");
        var batchSize = attribute.Int("BatchSize") ?? 60;
        Require(batchSize >= 1, "BatchSize", batchSize, "a batch holds at least 1 image");
        var epochs = attribute.Int("Epochs") ?? 10;
        Require(epochs >= 1, "Epochs", epochs, "train for at least 1 epoch");
        var validation = attribute.Int("Validation") ?? 1000;
        Require(validation >= 0, "Validation", validation, "hold out 0 or more training images");
        var margin = attribute.Double("EquivalenceMargin") ?? 0.5;
        if (!(margin > 0 && margin < 100))
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidEquivalenceMargin, attribute.LocationOf("EquivalenceMargin"), ValueText.Number(margin));
        }

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

        var matchTo = attribute.Named("MatchTo") is { } matchArgument ? matchArgument.Value as string : null;
        var points = new List<int>();
        var matched = new List<string>();
        if (attribute.Named("Points") is { IsNull: false } pointsArgument)
        {
            points.AddRange(pointsArgument.Values.Select(v => v.Value).OfType<int>());
        }

        if (matchTo is not null)
        {
            var source = schedules.FirstOrDefault(s => s.Name == matchTo);
            if (source is null || !chosen.Contains(matchTo) || !source.Descriptor.TrainsInRounds)
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf("MatchTo"), $"MatchTo '{matchTo}' is not an Iterative schedule of the experiment; its Iterative schedules: {string.Join(", ", schedules.Where(s => s.Descriptor.TrainsInRounds && chosen.Contains(s.Name)).Select(s => s.Name))}");
            }
            else if (points.Count == 0)
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.Has("Points") ? attribute.LocationOf("Points") : attribute.LocationOf("MatchTo"), $"MatchTo needs Points: the rounds of {matchTo} to match, for example new[] {{ 3, 7, 12 }}");
            }
            else
            {
                var rounds = source.Rounds;
                foreach (var point in points.Where(p => p < 1 || (rounds is { } r && p > r)).Distinct())
                {
                    diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf("Points"), $"Points has {point}, but {matchTo} has rounds 1 to {rounds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "its last"}");
                }

                if (points.Distinct().Count() != points.Count)
                {
                    diagnostics.Add(DiagnosticDescriptors.Duplicate, attribute.LocationOf("Points"), "Points lists a round twice");
                }

                matched.AddRange(schedules.Where(s => chosen.Contains(s.Name) && s.Descriptor.RunsToTarget).Select(s => s.Name));
                foreach (var schedule in schedules.Where(s => matched.Contains(s.Name)))
                {
                    var trained = schedule.Epochs ?? epochs;
                    if (schedule.Descriptor.EventsWithin(schedule.Values, trained) is not { } events)
                    {
                        continue;
                    }

                    var needed = Reach.EventsToMatch(points.Max(), source.Rate, schedule.Rate);
                    if (events < needed)
                    {
                        var location = attribute.Has("Epochs") ? attribute.LocationOf("Epochs") : attribute.LocationOf("Points");
                        diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, location, $"{schedule.Name} prunes {events} times in {trained} epochs, but reaching {matchTo}'s round {points.Max()} takes {needed}; train more Epochs, end its pruning later, or match earlier Points");
                    }
                }
            }
        }
        else if (points.Count > 0)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf("Points"), "Points are rounds of the MatchTo schedule; give MatchTo too");
        }

        var arms = new List<string>();
        if (includeDense)
        {
            arms.Add("Dense");
        }

        arms.AddRange(chosen);
        var controls = new List<ControlInfo>();
        foreach (var control in type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == KnownNames.ControlAttribute))
        {
            var arguments = new AttributeArguments(control, cancellationToken);
            if (arguments.Constructor(0) is not { Value: INamedTypeSymbol controlType })
            {
                continue;
            }

            var of = arguments.Named("Of")?.Value as string;
            var epoch = arguments.Int("Epoch");
            var controlLocation = arguments.LocationOfConstructor(0);
            var isControl = SymbolQueries.DerivesFrom(controlType, KnownNames.ControlArm) && !controlType.IsAbstract;
            if (!isControl || !HasConstructor(controlType, withEpoch: false))
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, controlLocation, $"{controlType.ToDisplayString()} is not a control: a control is a non-abstract class deriving from Lottery.Experiments.ControlArm with a public constructor taking the source arm's name");
            }
            else if (epoch is not null && (epoch < 0 || !HasConstructor(controlType, withEpoch: true)))
            {
                diagnostics.Add(
                    DiagnosticDescriptors.InvalidExperimentValue,
                    arguments.LocationOf("Epoch"),
                    epoch < 0 ? $"Epoch is {epoch}; give 0 or later" : $"{controlType.Name} takes no epoch: it has no public constructor taking the source arm's name and an int");
            }
            else if (epoch > (schedules.FirstOrDefault(s => s.Name == of)?.Epochs ?? epochs))
            {
                var trained = schedules.FirstOrDefault(s => s.Name == of)?.Epochs ?? epochs;
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, arguments.LocationOf("Epoch"), $"Epoch is {epoch}, but a training of {of} has {trained} epochs");
            }
            else if (of is null || !arms.Contains(of))
            {
                diagnostics.Add(
                    DiagnosticDescriptors.InvalidExperimentValue,
                    of is null ? arguments.Location : arguments.LocationOf("Of"),
                    of is null ? $"[Control] needs Of: the arm it derives from, one of {string.Join(", ", arms)}" : $"[Control] Of '{of}' is not an arm of the experiment; its arms: {string.Join(", ", arms)}");
            }
            else
            {
                var declared = new ControlInfo(controlType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), of, epoch);
                if (controls.Contains(declared))
                {
                    diagnostics.Add(DiagnosticDescriptors.Duplicate, controlLocation, $"the control {controlType.Name} of {of} is declared twice");
                }
                else
                {
                    controls.Add(declared);
                }
            }
        }

        if (epochs >= 1)
        {
            foreach (var schedule in schedules.Where(s => chosen.Contains(s.Name) && !matched.Contains(s.Name)))
            {
                if (!schedule.Groups && schedule.Descriptor.Unreached(schedule.Values, schedule.Epochs ?? epochs) is { } reach && schedule.TargetRemaining is { } target)
                {
                    var location = attribute.Has("Epochs") ? attribute.LocationOf("Epochs") : attribute.Location;
                    diagnostics.Add(DiagnosticDescriptors.TargetNotReached, location, schedule.Name, ValueText.Percent(reach.Reached), ValueText.Percent(target), reach.Why);
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
            SymbolQueries.Hierarchy(type, cancellationToken),
            model.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            dataSet!,
            optimizer,
            learningRate,
            batchSize,
            epochs,
            seeds.ToEquatableArray(),
            validation,
            chosen.ToEquatableArray(),
            includeDense,
            experimentName!,
            dataType,
            lossType,
            matched.Count > 0 || (matchTo is not null && points.Count > 0 && controls.Any(c => c.Of == matchTo)) ? matchTo : null,
            points.ToEquatableArray(),
            matched.ToEquatableArray(),
            controls.ToEquatableArray(),
            device,
            NumericsName.Normalize(numerics),
            margin,
            sparseTraining);
        return new ParseResult<ExperimentInfo>(info, diagnostics.ToEquatableArray());

        static bool HasConstructor(INamedTypeSymbol control, bool withEpoch) => control.InstanceConstructors.Any(c =>
            c.DeclaredAccessibility == Accessibility.Public
            && c.Parameters.Length == (withEpoch ? 2 : 1)
            && c.Parameters[0].Type.SpecialType == SpecialType.System_String
            && (!withEpoch || c.Parameters[1].Type.SpecialType == SpecialType.System_Int32));

        string? ProviderType(string argument, string interfaceName, string what)
        {
            if (attribute.Named(argument) is not { Value: INamedTypeSymbol provider })
            {
                return null;
            }

            if (!provider.AllInterfaces.Any(i => i.ToDisplayString() == interfaceName) || provider.IsAbstract
                || !provider.InstanceConstructors.Any(c => c.DeclaredAccessibility == Accessibility.Public && c.Parameters.Length == 0))
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf(argument), $"{argument} is {provider.ToDisplayString()}, which is not {what}: give a non-abstract class implementing {interfaceName} with a public parameterless constructor");
                return null;
            }

            return provider.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        }

        void Require(bool ok, string name, object value, string what)
        {
            if (!ok)
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidExperimentValue, attribute.LocationOf(name), $"{name} is {value}; {what}");
            }
        }
    }
}
