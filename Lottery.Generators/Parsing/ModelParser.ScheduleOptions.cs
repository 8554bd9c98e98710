using Lottery.Criteria;
using Lottery.Generators.Diagnostics;
using Lottery.Generators.Vocabulary;
using Lottery.Schedules;
using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Parsing;

/// <summary>The options of particular schedule kinds and criteria: regrowth, Early-Bird, criteria at initialisation, scoring batches, a criterion of the user's own.</summary>
internal static partial class ModelParser
{
    /// <summary>Dynamic sparse training's regrowth, drop fraction and update interval, each checked; not for other kinds.</summary>
    private static (RegrowthKind? Regrowth, double DropFraction, int UpdateEvery) Regrowth(ScheduleDescriptor rules, AttributeArguments attribute, DiagnosticList diagnostics)
    {
        var regrowth = attribute.Enum("Regrowth", KnownNames.RegrowthKinds, "RegrowthKind", diagnostics);
        var fraction = attribute.Double("DropFraction");
        var every = attribute.Int("UpdateEvery");
        if (!rules.RegrowsConnections)
        {
            // The kind refuses them (CheckKindArguments says so).
            return (null, ScheduleDescriptor.DefaultDropFraction, ScheduleDescriptor.DefaultUpdateEvery);
        }

        if (fraction is { } f && !(f > 0 && f < 1))
        {
            diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("DropFraction"), "DropFraction", ValueText.Number(f), "(0, 1)", "it is the fraction of each layer's surviving weights the first mask update drops; SET and RigL use 0.3");
        }

        if (every is < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.UpdateEveryBelowOne, attribute.LocationOf("UpdateEvery"), every.Value);
        }

        return (regrowth is null ? RegrowthKind.Random : (RegrowthKind)Array.IndexOf(KnownNames.RegrowthKinds, regrowth), fraction ?? ScheduleDescriptor.DefaultDropFraction, every ?? ScheduleDescriptor.DefaultUpdateEvery);
    }

    /// <summary>Early-Bird's stop: its threshold (null when not given) and epochs in a row, each checked.</summary>
    private static (double? Distance, int Epochs) EarlyBird(ScheduleDescriptor rules, int? start, AttributeArguments attribute, DiagnosticList diagnostics)
    {
        var distance = attribute.Double("EarlyBirdDistance");
        var epochs = attribute.Int("EarlyBirdEpochs");
        if (distance is null)
        {
            if (epochs is not null)
            {
                diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("EarlyBirdEpochs"), "EarlyBirdEpochs", "a schedule without EarlyBirdDistance; give the distance that stops pruning, for example EarlyBirdDistance = 0.1");
            }

            return (null, 5);
        }

        if (!(distance > 0 && distance < 1))
        {
            diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("EarlyBirdDistance"), "EarlyBirdDistance", ValueText.Number(distance.Value), "(0, 1)", "it is the fraction of the prunable entries on which consecutive drawn masks may differ; the paper's is 0.1");
        }

        if (epochs is < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf("EarlyBirdEpochs"), $"EarlyBirdEpochs is {epochs}; give at least 1 epoch in a row (the paper's 5)");
        }

        if (!rules.PrunesDuringOneRun(new ScheduleValues(rules.Kind, 0.2, StartEpoch: start)))
        {
            var when = rules.PrunesBeforeTraining ? ", which prunes before any training" : rules.TrainsInRounds ? string.Empty : " that prunes after a full training";
            diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("EarlyBirdDistance"), "EarlyBirdDistance", $"{rules.Named}{when}; Early-Bird stops a schedule that prunes during one run (EveryEpoch, Gradual, or OneShot with StartEpoch)");
        }

        return (distance, epochs ?? 5);
    }

    /// <summary>
    /// An AtInit schedule prunes before training: its criterion, and every layer's own, must be able to score untrained
    /// weights (LTH0029, on the criterion argument that names it).
    /// </summary>
    private static void CheckCriteriaAtInit(string schedule, AttributeArguments attribute, string criterion, List<LayerCriterion> layers, DiagnosticList diagnostics)
    {
        if (WhyTrainingFirst(criterion) is { } why)
        {
            diagnostics.Add(DiagnosticDescriptors.CriterionNeedsTraining, attribute.LocationOf("Criterion"), $"Criterion {criterion}", why, schedule);
        }

        foreach (var layer in layers)
        {
            if (WhyTrainingFirst(layer.Criterion) is { } layerWhy)
            {
                diagnostics.Add(DiagnosticDescriptors.CriterionNeedsTraining, layer.Location, $"Layer '{layer.Member}''s criterion {layer.Criterion}", layerWhy, schedule);
            }
        }
    }

    /// <summary>
    /// The batch a criterion of the schedule scores on, when one scores on data (the declared size, or 100); a size below 1
    /// is LTH0030, and a size given to a schedule whose criteria score without data is LTH0012.
    /// </summary>
    private static int? ScoringBatchSize(string schedule, AttributeArguments attribute, string criterion, List<LayerCriterion> layers, DiagnosticList diagnostics)
    {
        var given = attribute.Int("ScoringBatchSize");
        var onData = ScoresOnData(criterion) || layers.Any(l => ScoresOnData(l.Criterion));
        if (given is { } size && size < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.ScoringBatchSizeBelowOne, attribute.LocationOf("ScoringBatchSize"), size);
        }
        else if (given is not null && !onData)
        {
            diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("ScoringBatchSize"), "ScoringBatchSize", $"schedule '{schedule}', whose criteria score without data (only {string.Join(", ", CriterionKindNeeds.ScoringOnData)} scores on a batch)");
        }

        return onData ? given ?? 100 : null;
    }

    /// <summary>A criterion of the user's own, by the name it is registered under (checked when the run starts); null when none is named.</summary>
    private static string? OwnCriterion(AttributeArguments attribute, DiagnosticList diagnostics)
    {
        if (attribute.Named("CriterionName") is not { } argument)
        {
            return null;
        }

        var name = argument.Value as string;
        if (string.IsNullOrWhiteSpace(name))
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidCriterionName, attribute.LocationOf("CriterionName"), "CriterionName is empty; give the name your criterion is registered under with PruningCriteria.Register");
            return null;
        }

        if (attribute.Named("Criterion") is not null)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidCriterionName, attribute.LocationOf("CriterionName"), $"CriterionName '{name}' and Criterion are both given; give one: Criterion for a built-in criterion, CriterionName for one of your own");
            return null;
        }

        return name;
    }

    // A built-in criterion by name (attribute arguments arrive as names): why it needs training, whether it scores on data.
    private static string? WhyTrainingFirst(string criterion) =>
        Enum.TryParse<CriterionKind>(criterion, out var kind) ? CriterionKindNeeds.WhyTrainingFirst(kind) : null;

    private static bool ScoresOnData(string criterion) =>
        Enum.TryParse<CriterionKind>(criterion, out var kind) && CriterionKindNeeds.ScoringOnData.Contains(kind);
}
