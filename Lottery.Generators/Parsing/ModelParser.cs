using System.Threading;
using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Lottery.Schedules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Lottery.Generators.Parsing;

/// <summary>Turns a model class's [Prunable] and [PruneSchedule] declarations into a <see cref="ModelInfo"/> and diagnostics.</summary>
internal static class ModelParser
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

        return Parse(type, cancellationToken);
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
        return SymbolEqualityComparer.Default.Equals(first, context.TargetSymbol) ? Parse(type, cancellationToken) : null;
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

    private static ParseResult<ModelInfo> Parse(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var diagnostics = new DiagnosticList();
        var typeLocation = LocationInfo.From(type.Locations.FirstOrDefault());
        if (type.TypeKind != TypeKind.Class || !TypeFacts.DerivesFrom(type, KnownNames.Module))
        {
            diagnostics.Add(DiagnosticDescriptors.NotAModule, typeLocation, type.Name);
        }

        TypeFacts.CheckPartial(type, diagnostics, cancellationToken);
        var layers = ParseLayers(type, diagnostics, cancellationToken);
        var schedules = ParseSchedules(type, layers, diagnostics, cancellationToken);
        if (schedules.Count > 0 && !type.GetMembers().Any(IsPrunable))
        {
            diagnostics.Add(DiagnosticDescriptors.ScheduleWithoutLayers, new AttributeArguments(Schedules(type).First(), cancellationToken).Location, type.Name);
        }

        CheckGeneratedNames(type, layers, diagnostics);
        var chain = ChainParser.Parse(type, layers, diagnostics, cancellationToken);
        if (chain is not null)
        {
            TypeFacts.CheckTakenNames(type, KnownNames.GeneratedChainMembers, "for a model with a [Chain]", diagnostics);
        }

        if (diagnostics.HasErrors)
        {
            return new ParseResult<ModelInfo>(null, diagnostics.ToEquatableArray());
        }

        var model = new ModelInfo(
            TypeFacts.Hierarchy(type, cancellationToken),
            layers.ToEquatableArray(),
            schedules.ToEquatableArray(),
            CanCreate: TypeFacts.WhyCannotCreate(type) is null) { Chain = chain };
        return new ParseResult<ModelInfo>(model, diagnostics.ToEquatableArray());
    }

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

            if (TypeFacts.LayerType(memberType) is not { } layerType)
            {
                diagnostics.Add(DiagnosticDescriptors.NotAPrunableLayer, location, member.Name, memberType.ToDisplayString());
                continue;
            }

            var attribute = new AttributeArguments(member.GetAttributes().First(a => a.AttributeClass?.ToDisplayString() == KnownNames.PrunableAttribute), cancellationToken);
            double? rate = attribute.Double("Rate") ?? (attribute.Constructor(0) is { Value: double fromConstructor } ? fromConstructor : null);
            if (rate is { } given && !(given > 0 && given < 1))
            {
                diagnostics.Add(DiagnosticDescriptors.RateOutOfRange, attribute.Has("Rate") ? attribute.LocationOf("Rate") : attribute.LocationOfConstructor(0), Format.Number(given));
            }

            var criterion = attribute.Enum("Criterion", KnownNames.CriterionKinds, "CriterionKind", diagnostics);
            var pruneBias = attribute.Bool("PruneBias") ?? false;
            if (pruneBias && TypeFacts.CreatedWithoutBias(member, cancellationToken) is { } noBias)
            {
                diagnostics.Add(DiagnosticDescriptors.PrunedBiasMissing, attribute.LocationOf("PruneBias"), member.Name, noBias);
            }

            var structure = attribute.Enum("Structure", KnownNames.Structures, "Structure", diagnostics);
            if (structure is "Neurons" or "Channels" && (structure == "Neurons") != (layerType == "Linear"))
            {
                diagnostics.Add(DiagnosticDescriptors.StructureDoesNotFit, attribute.LocationOf("Structure"), member.Name, layerType, structure, layerType == "Linear" ? "Neurons" : "Channels");
            }

            layers.Add(new LayerInfo(member.Name, layerType, rate, criterion, pruneBias, AccessorStem(member.Name)) { Structure = structure is null or "Unstructured" ? null : structure });
        }

        return layers;
    }

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

    /// <summary>
    /// Where a schedule stops when it runs out of pruning events before its target, counting at the schedule's
    /// rate; <paramref name="epochs"/> is the training length when known (from an experiment).
    /// </summary>
    public static (double Reached, string Why)? UnreachedTarget(ScheduleInfo schedule, int? epochs)
    {
        if (schedule.TargetRemaining is not { } target)
        {
            return null;
        }

        var percent = Format.Percent(schedule.Rate);
        switch (schedule.Kind)
        {
            case "EveryEpoch":
            {
                var start = schedule.StartEpoch ?? 1;
                var last = Math.Min(schedule.EndEpoch ?? int.MaxValue, epochs ?? int.MaxValue);
                if (last == int.MaxValue)
                {
                    return null;
                }

                var events = Reach.EveryEpochEvents(schedule.StartEpoch, schedule.EndEpoch, last);
                var reached = Reach.Remaining(schedule.Rate, events);
                var epochWord = events == 1 ? "epoch" : "epochs";
                return reached > target + 1e-9 ? (reached, $"{percent} per epoch over {events} {epochWord} (epochs {start} to {last})") : null;
            }

            case "Iterative" when schedule.Rounds is { } rounds:
            {
                var reached = Reach.Remaining(schedule.Rate, rounds);
                return reached > target + 1e-9 ? (reached, $"{percent} per round over {rounds} {(rounds == 1 ? "round" : "rounds")}") : null;
            }

            case "Gradual" when epochs is { } trained && schedule.EndEpoch > trained && schedule.StartEpoch is { } start:
            {
                var reached = Reach.GradualRemaining(trained, start, schedule.EndEpoch.Value, schedule.InitialSparsity, target);
                return (reached, $"training ends after epoch {trained}, before EndEpoch {schedule.EndEpoch}");
            }

            case "OneShot" when epochs is { } trained && schedule.StartEpoch > trained:
                return (1.0, $"training ends after epoch {trained}, before StartEpoch {schedule.StartEpoch}");

            default:
                return null;
        }
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

    /// <summary>Dynamic sparse training's regrowth, drop fraction and update interval, each checked; not for other kinds.</summary>
    private static (string? Regrowth, double DropFraction, int UpdateEvery) Regrowth(string kind, AttributeArguments attribute, DiagnosticList diagnostics)
    {
        var regrowth = attribute.Enum("Regrowth", KnownNames.RegrowthKinds, "RegrowthKind", diagnostics);
        var fraction = attribute.Double("DropFraction");
        var every = attribute.Int("UpdateEvery");
        if (kind != "DynamicSparse")
        {
            foreach (var (argument, given) in new[] { ("Regrowth", regrowth is not null), ("DropFraction", fraction is not null), ("UpdateEvery", every is not null) })
            {
                if (given)
                {
                    diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf(argument), argument, $"a {kind} schedule; only DynamicSparse drops and regrows connections during training");
                }
            }

            return (null, 0.3, 100);
        }

        if (fraction is { } f && !(f > 0 && f < 1))
        {
            diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("DropFraction"), "DropFraction", Format.Number(f), "(0, 1)", "it is the fraction of each layer's surviving weights the first mask update drops; SET and RigL use 0.3");
        }

        if (every is < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.UpdateEveryBelowOne, attribute.LocationOf("UpdateEvery"), every.Value);
        }

        return (regrowth ?? "Random", fraction ?? 0.3, every ?? 100);
    }

    /// <summary>Early-Bird's stop: its threshold (null when not given) and epochs in a row, each checked.</summary>
    private static (double? Distance, int Epochs) EarlyBird(string kind, int? start, AttributeArguments attribute, DiagnosticList diagnostics)
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
            diagnostics.Add(DiagnosticDescriptors.FractionOutOfRange, attribute.LocationOf("EarlyBirdDistance"), "EarlyBirdDistance", Format.Number(distance.Value), "(0, 1)", "it is the fraction of the prunable entries on which consecutive drawn masks may differ; the paper's is 0.1");
        }

        if (epochs is < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf("EarlyBirdEpochs"), $"EarlyBirdEpochs is {epochs}; give at least 1 epoch in a row (the paper's 5)");
        }

        if (kind is "Iterative" or "AtInit" or "DynamicSparse" || (kind == "OneShot" && start is null))
        {
            var when = kind switch { "OneShot" => " that prunes after a full training", "AtInit" or "DynamicSparse" => ", which prunes before any training", _ => string.Empty };
            diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("EarlyBirdDistance"), "EarlyBirdDistance", $"a {kind} schedule{when}; Early-Bird stops a schedule that prunes during one run (EveryEpoch, Gradual, or OneShot with StartEpoch)");
        }

        return (distance, epochs ?? 5);
    }

    /// <summary>
    /// An AtInit schedule prunes before training: its criterion, and every layer's own, must be able to score untrained
    /// weights (LTH0029, on the criterion argument that names it).
    /// </summary>
    private static void CheckCriteriaAtInit(string schedule, AttributeArguments attribute, string criterion, List<LayerCriterion> layers, DiagnosticList diagnostics)
    {
        if (KnownNames.CriteriaNeedingTraining.TryGetValue(criterion, out var why))
        {
            diagnostics.Add(DiagnosticDescriptors.CriterionNeedsTraining, attribute.LocationOf("Criterion"), $"Criterion {criterion}", why, schedule);
        }

        foreach (var layer in layers)
        {
            if (KnownNames.CriteriaNeedingTraining.TryGetValue(layer.Criterion, out var layerWhy))
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
        var onData = KnownNames.CriteriaScoringOnData.Contains(criterion) || layers.Any(l => KnownNames.CriteriaScoringOnData.Contains(l.Criterion));
        if (given is { } size && size < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.ScoringBatchSizeBelowOne, attribute.LocationOf("ScoringBatchSize"), size);
        }
        else if (given is not null && !onData)
        {
            diagnostics.Add(DiagnosticDescriptors.DoesNotApply, attribute.LocationOf("ScoringBatchSize"), "ScoringBatchSize", $"schedule '{schedule}', whose criteria score without data (only {string.Join(", ", KnownNames.CriteriaScoringOnData)} scores on a batch)");
        }

        return onData ? given ?? 100 : null;
    }

    /// <summary>The layers that declare their own criterion, with where it is written.</summary>
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

    private static int? Epoch(AttributeArguments attribute, string name, DiagnosticList diagnostics)
    {
        var value = attribute.Int(name);
        if (value is < 1)
        {
            diagnostics.Add(DiagnosticDescriptors.InvalidEpoch, attribute.LocationOf(name), $"{name} is {value}; epochs count from 1 (pruning happens after an epoch ends)");
        }

        return value;
    }

    private static void CheckGeneratedNames(INamedTypeSymbol type, List<LayerInfo> layers, DiagnosticList diagnostics)
    {
        var location = LocationInfo.From(type.Locations.FirstOrDefault());
        var declared = TypeFacts.CheckTakenNames(type, KnownNames.GeneratedModelMembers, "for every prunable model", diagnostics);

        var generated = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            foreach (var name in AccessorNames(layer))
            {
                if (declared.Contains(name))
                {
                    diagnostics.Add(DiagnosticDescriptors.NameClash, location, type.Name, name, $"for the layer '{layer.Member}'");
                }
                else if (generated.TryGetValue(name, out var other))
                {
                    diagnostics.Add(DiagnosticDescriptors.Duplicate, location, $"The layers '{other}' and '{layer.Member}' would both generate '{name}'; rename one of them");
                }
                else
                {
                    generated[name] = layer.Member;
                }
            }
        }
    }

    /// <summary>The accessors generated for a layer: <c>Fc1Mask</c>, <c>Fc1Sparsity</c>, and the bias's when it is pruned.</summary>
    public static IEnumerable<string> AccessorNames(LayerInfo layer)
    {
        yield return layer.AccessorName + "Mask";
        yield return layer.AccessorName + "Sparsity";
        if (layer.PruneBias)
        {
            yield return layer.AccessorName + "BiasMask";
            yield return layer.AccessorName + "BiasSparsity";
        }
    }

    /// <summary><c>fc1</c> and <c>_fc1</c> give <c>Fc1</c>.</summary>
    private static string AccessorStem(string member)
    {
        var trimmed = member.TrimStart('_');
        if (trimmed.Length == 0)
        {
            trimmed = "Layer";
        }

        return char.ToUpperInvariant(trimmed[0]) + trimmed.Substring(1);
    }
}
