using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Lottery.Generators.Parsing;

/// <summary>Reads the [PruneSchedule] declarations of a model and checks each argument against its schedule kind.</summary>
internal static partial class ModelParser
{
    private static List<ScheduleInfo> ParseSchedules(INamedTypeSymbol type, List<LayerInfo> layers, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        var schedules = new List<ScheduleInfo>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var data in Schedules(type))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var attribute = new AttributeArguments(data, cancellationToken);
            var errorsBefore = diagnostics.ErrorCount;
            if (attribute.Constructor(0) is not { Value: int kindValue })
            {
                continue;
            }

            if (kindValue < 0 || kindValue >= KnownNames.ScheduleKinds.Length)
            {
                diagnostics.Add(DiagnosticDescriptors.UndefinedEnumValue, attribute.LocationOfConstructor(0), "The schedule kind", kindValue, "ScheduleKind");
                continue;
            }

            var kind = KnownNames.ScheduleKinds[kindValue];
            var name = attribute.Named("Name") is { Value: string named } ? named : kind;
            CheckName(name, attribute, names, type, diagnostics);

            var rate = attribute.Double("Rate") ?? 0.2;
            if (!(rate > 0 && rate < 1))
            {
                diagnostics.Add(DiagnosticDescriptors.RateOutOfRange, attribute.LocationOf("Rate"), Format.Number(rate));
            }

            var target = attribute.Double("TargetRemaining");
            if (target is { } t && !(t > 0 && t <= 1))
            {
                diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("TargetRemaining"), "TargetRemaining", Format.Number(t), "(0, 1]", "it is the fraction of the prunable weights left at the end; give for example 0.1");
            }

            var start = Epoch(attribute, "StartEpoch", diagnostics);
            var end = Epoch(attribute, "EndEpoch", diagnostics);
            if (start is >= 1 && end is >= 1 && end < start)
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf("EndEpoch"), $"EndEpoch {end} comes before StartEpoch {start}; the end epoch is the last epoch after which the model is pruned");
            }

            var ownEpochs = attribute.Int("Epochs");
            if (ownEpochs is < 1)
            {
                diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf("Epochs"), $"Epochs is {ownEpochs}; give the epochs this schedule's runs train, at least 1, or leave it out to train the experiment's Epochs");
            }

            var rounds = attribute.Int("Rounds");
            if (rounds is < 1)
            {
                diagnostics.Add(DiagnosticDescriptors.RoundsBelowOne, attribute.LocationOf("Rounds"), rounds.Value);
            }

            var initialSparsity = attribute.Double("InitialSparsity");
            var scope = attribute.Enum("Scope", KnownNames.Scopes, "PruningScope", diagnostics) ?? "Layerwise";
            // Dynamic sparse training starts from a random mask, as SET and RigL do, unless told otherwise.
            var criterion = attribute.Enum("Criterion", KnownNames.CriterionKinds, "CriterionKind", diagnostics) ?? (kind == "DynamicSparse" ? "Random" : "Magnitude");
            var rewind = attribute.Enum("Rewind", KnownNames.RewindKinds, "RewindKind", diagnostics) ?? (kind == "Iterative" ? "ToInit" : "None");
            var criterionName = OwnCriterion(attribute, diagnostics);
            var layerCriteria = LayerCriteria(type, cancellationToken);
            var rewindEpoch = attribute.Int("RewindEpoch");
            if (rewindEpoch is { } k)
            {
                if (rewind != "ToEpoch")
                {
                    diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("RewindEpoch"), "RewindEpoch", $"Rewind = RewindKind.{rewind}; it is the epoch that RewindKind.ToEpoch rewinds to");
                }
                else if (k < 0)
                {
                    diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf("RewindEpoch"), $"RewindEpoch is {k}; give 0 (initialisation) or a later epoch");
                }
            }
            else if (rewind == "ToEpoch")
            {
                // Not defaulted to 0: that would silently make late rewinding rewind to initialisation.
                diagnostics.Add(DiagnosticDescriptors.MissingArgument, attribute.LocationOf("Rewind"), "Rewind = RewindKind.ToEpoch", "RewindEpoch, the epoch whose weights training restarts from");
            }

            CheckKindArguments(kind, attribute, target, start, end, rounds, initialSparsity, diagnostics);
            if (kind is "AtInit" or "DynamicSparse")
            {
                CheckCriteriaAtInit(name, attribute, criterion, layerCriteria, diagnostics);
            }

            var (regrowth, dropFraction, updateEvery) = Regrowth(kind, attribute, diagnostics);
            if (kind == "DynamicSparse")
            {
                foreach (var layer in layers.Where(l => l.Structure is not null))
                {
                    diagnostics.Add(DiagnosticDescriptors.RegrowthOnStructuredLayer, attribute.LocationOfConstructor(0), name, layer.Member, layer.Structure!);
                }
            }

            var scoringBatchSize = ScoringBatchSize(name, attribute, criterion, layerCriteria, diagnostics);
            var (birdDistance, birdEpochs) = EarlyBird(kind, start, attribute, diagnostics);
            var schedule = new ScheduleInfo(name, kind, rate, target, start, end, rounds, initialSparsity ?? 0.0, scope, criterion, rewind, rewindEpoch ?? 0, birdDistance, birdEpochs, scoringBatchSize, ownEpochs is >= 1 ? ownEpochs : null, regrowth, dropFraction, updateEvery, criterionName);
            if (diagnostics.ErrorCount == errorsBefore && UnreachedTarget(schedule, schedule.Epochs) is { } reach)
            {
                diagnostics.Add(DiagnosticDescriptors.TargetNotReached, attribute.LocationOf("TargetRemaining"), name, Format.Percent(reach.Reached), Format.Percent(target!.Value), reach.Why);
            }

            schedules.Add(schedule);
        }

        return schedules;
    }

    private static void CheckName(string name, AttributeArguments attribute, HashSet<string> names, INamedTypeSymbol type, DiagnosticList diagnostics)
    {
        var location = attribute.LocationOf("Name");
        if (!SyntaxFacts.IsValidIdentifier(name) || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidScheduleName, location, name, "is not a C# identifier; use letters, digits and underscores, not starting with a digit");
        }
        else if (KnownNames.ReservedScheduleNames.Contains(name))
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidScheduleName, location, name, "is reserved: the generated PruneSchedules class uses it");
        }
        else if (!names.Add(name))
        {
            diagnostics.Add(DiagnosticDescriptors.Duplicate, location, $"'{type.Name}' declares two schedules named '{name}'; give each [PruneSchedule] its own Name");
        }
    }

    private static void CheckKindArguments(string kind, AttributeArguments attribute, double? target, int? start, int? end, int? rounds, double? initialSparsity, DiagnosticList diagnostics)
    {
        var schedule = $"a {kind} schedule";
        void NotFor(string argument, string why) => diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf(argument), argument, $"{schedule}{why}");

        if (rounds is not null && kind != "Iterative")
        {
            NotFor("Rounds", "; only Iterative trains in rounds");
        }

        if (kind == "Iterative")
        {
            if (start is not null)
            {
                NotFor("StartEpoch", ", which prunes after whole rounds");
            }

            if (end is not null)
            {
                NotFor("EndEpoch", ", which prunes after whole rounds");
            }
        }

        if (kind == "OneShot" && end is not null)
        {
            NotFor("EndEpoch", ", which prunes once, after StartEpoch");
        }

        if (kind is "AtInit" or "DynamicSparse")
        {
            foreach (var epoch in new[] { ("StartEpoch", start), ("EndEpoch", kind == "AtInit" ? end : null) }.Where(e => e.Item2 is not null))
            {
                NotFor(epoch.Item1, ", which prunes once, before the first epoch");
            }

            if (attribute.Named("Rewind") is { Value: int rewind } && rewind != 0)
            {
                NotFor("Rewind", kind == "AtInit" ? ", which prunes before training: the weights are still the initial ones" : ", which keeps training the weights it has as its mask changes");
            }
        }

        if (initialSparsity is not null && kind != "Gradual")
        {
            NotFor("InitialSparsity", "; only Gradual starts from an initial sparsity");
        }

        var missing = kind switch
        {
            "Iterative" when rounds is null && target is null => "Rounds or TargetRemaining, or it never stops",
            "EveryEpoch" or "OneShot" or "AtInit" or "DynamicSparse" when target is null => "TargetRemaining",
            "Gradual" when target is null || start is null || end is null => "TargetRemaining, StartEpoch and EndEpoch",
            _ => null,
        };
        if (missing is not null)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingArgument, attribute.Location, $"{(kind == "Gradual" ? "A" : "An")} {kind} schedule", missing);
        }

        if (kind == "Gradual" && initialSparsity is { } sparsity && target is { } t && !(sparsity >= 0 && sparsity < 1 - t))
        {
            diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("InitialSparsity"), "InitialSparsity", Format.Number(sparsity), $"[0, {Format.Number(1 - t)})", "pruning starts from it and moves towards 1 - TargetRemaining");
        }
    }

    private static int? Epoch(AttributeArguments attribute, string name, DiagnosticList diagnostics)
    {
        var value = attribute.Int(name);
        if (value is < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf(name), $"{name} is {value}; epochs count from 1 (pruning happens after an epoch ends)");
        }

        return value;
    }
}
