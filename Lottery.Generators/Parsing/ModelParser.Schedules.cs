using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Lottery.Generators.Vocabulary;
using Lottery.Schedules;
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

            var kind = (ScheduleKind)kindValue;
            var rules = ScheduleDescriptor.Of(kind);
            var name = attribute.Named("Name") is { Value: string named } ? named : kind.ToString();
            CheckName(name, attribute, names, type, diagnostics);

            var rate = attribute.Double("Rate") ?? 0.2;
            if (!(rate > 0 && rate < 1))
            {
                diagnostics.Add(DiagnosticDescriptors.RateOutOfRange, attribute.LocationOf("Rate"), ValueText.Number(rate));
            }

            var target = attribute.Double("TargetRemaining");
            if (target is { } t && !(t > 0 && t <= 1))
            {
                diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("TargetRemaining"), "TargetRemaining", ValueText.Number(t), "(0, 1]", "it is the fraction of the prunable weights left at the end; give for example 0.1");
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
            var scope = attribute.Enum("Scope", KnownNames.Scopes, "PruningScope", diagnostics) ?? nameof(PruningScope.Layerwise);
            var criterion = attribute.Enum("Criterion", KnownNames.CriterionKinds, "CriterionKind", diagnostics) ?? rules.DefaultCriterion.ToString();
            var rewind = attribute.Enum("Rewind", KnownNames.RewindKinds, "RewindKind", diagnostics) ?? rules.DefaultRewind.ToString();
            var criterionName = OwnCriterion(attribute, diagnostics);
            var layerCriteria = LayerCriteria(type, cancellationToken);
            var rewindEpoch = attribute.Int("RewindEpoch");
            if (rewindEpoch is { } k)
            {
                if (rewind != nameof(RewindKind.ToEpoch))
                {
                    diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("RewindEpoch"), "RewindEpoch", $"Rewind = RewindKind.{rewind}; it is the epoch that RewindKind.ToEpoch rewinds to");
                }
                else if (k < 0)
                {
                    diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf("RewindEpoch"), $"RewindEpoch is {k}; give 0 (initialisation) or a later epoch");
                }
            }
            else if (rewind == nameof(RewindKind.ToEpoch))
            {
                // Not defaulted to 0: that would silently make late rewinding rewind to initialisation.
                diagnostics.Add(DiagnosticDescriptors.MissingArgument, attribute.LocationOf("Rewind"), "Rewind = RewindKind.ToEpoch", "RewindEpoch, the epoch whose weights training restarts from");
            }

            var (regrowth, dropFraction, updateEvery) = Regrowth(rules, attribute, diagnostics);
            CheckKindArguments(rules, attribute, new ScheduleValues(kind, rate, target, start, end, rounds, initialSparsity ?? 0.0, regrowth, dropFraction, updateEvery), diagnostics);
            if (rules.PrunesBeforeTraining)
            {
                CheckCriteriaAtInit(name, attribute, criterion, layerCriteria, diagnostics);
            }

            if (rules.RegrowsConnections)
            {
                foreach (var layer in layers.Where(l => l.Structure is not null))
                {
                    diagnostics.Add(DiagnosticDescriptors.RegrowthOnStructuredLayer, attribute.LocationOfConstructor(0), name, layer.Member, layer.Structure!);
                }
            }

            var groups = attribute.Bool("Groups") ?? false;
            if (groups && rules.RegrowsConnections)
            {
                diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("Groups"), "Groups", $"{kind}, which drops and regrows single connections");
            }

            var roundTo = attribute.Int("RoundTo");
            if (roundTo is not null and not 0 && (!groups || roundTo < 1 || scope != nameof(PruningScope.Layerwise)))
            {
                var why = !groups ? $"{name}, which does not prune by groups (Groups = true)"
                    : roundTo < 1 ? $"{name}: give the multiple of units each group keeps, at least 1"
                    : $"{name}, whose scope is {scope}: groups round their own share, Layerwise";
                diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("RoundTo"), $"RoundTo = {roundTo}", why);
            }

            var scoringBatchSize = ScoringBatchSize(name, attribute, criterion, layerCriteria, diagnostics);
            var (birdDistance, birdEpochs) = EarlyBird(rules, start, attribute, diagnostics);
            var schedule = new ScheduleInfo(name, kind, rate, target, start, end, rounds, initialSparsity ?? 0.0, scope, criterion, rewind, rewindEpoch ?? 0, birdDistance, birdEpochs, scoringBatchSize, ownEpochs is >= 1 ? ownEpochs : null, regrowth, dropFraction, updateEvery, criterionName, groups)
            {
                RoundTo = roundTo is > 1 && groups ? roundTo : null,
            };
            // By dependency groups a unit takes its consumers' columns too, so the weights fall faster than the rate says:
            // only the run knows where they stop.
            if (diagnostics.ErrorCount == errorsBefore && !groups && rules.Unreached(schedule.Values, schedule.Epochs) is { } reach)
            {
                diagnostics.Add(DiagnosticDescriptors.TargetNotReached, attribute.LocationOf("TargetRemaining"), name, ValueText.Percent(reach.Reached), ValueText.Percent(target!.Value), reach.Why);
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

    // The arguments the kind refuses (LTH0012) and those it cannot do without (LTH0013), by its descriptor's rules.
    private static void CheckKindArguments(ScheduleDescriptor rules, AttributeArguments attribute, ScheduleValues values, DiagnosticList diagnostics)
    {
        var given = new[] { "Rounds", "StartEpoch", "EndEpoch", "InitialSparsity", "Regrowth", "DropFraction", "UpdateEvery" }.Where(attribute.Has).ToList();
        if (attribute.Named("Rewind") is { Value: int rewind } && rewind != (int)RewindKind.None)
        {
            given.Add("Rewind");
        }

        foreach (var (argument, why) in rules.Refused(given))
        {
            diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf(argument), argument, why);
        }

        if (rules.Missing(values) is { } missing)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingArgument, attribute.Location, char.ToUpperInvariant(rules.Named[0]) + rules.Named.Substring(1), missing);
        }

        if (rules.Takes("InitialSparsity") && attribute.Has("InitialSparsity") && values.TargetRemaining is { } t && !(values.InitialSparsity >= 0 && values.InitialSparsity < 1 - t))
        {
            diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("InitialSparsity"), "InitialSparsity", ValueText.Number(values.InitialSparsity), $"[0, {ValueText.Number(1 - t)})", "pruning starts from it and moves towards 1 - TargetRemaining");
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
