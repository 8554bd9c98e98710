using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Schedules;

namespace Lottery.Runs;

/// <summary>
/// How a run prunes, as one immutable value: the schedule and every parameter of it, the criterion, the scope, the
/// rewinding, per-layer overrides and the seed of the initial weights. It round-trips through JSON exactly
/// (<see cref="ToJson"/>, <see cref="FromJson"/>), is part of every run's identity, and turns into the runtime's
/// <see cref="PruningSettings"/> with nothing lost (<see cref="ToSettings"/>). The source generator emits one for
/// each <see cref="PruneScheduleAttribute"/>.
/// </summary>
public sealed record PruningMethod
{
    /// <summary>No pruning: the dense reference.</summary>
    public static PruningMethod Dense { get; } = new();

    /// <summary>When and how much to prune; null for no pruning events (a dense run, or a run that trains a given mask).</summary>
    public ScheduleKind? Schedule { get; init; }

    /// <summary>Fraction of the remaining weights removed at each pruning event, in (0, 1).</summary>
    public double Rate { get; init; } = 0.2;

    /// <summary>Fraction of the prunable weights to leave; required by EveryEpoch, Gradual, OneShot and AtInit.</summary>
    public double? TargetRemaining { get; init; }

    /// <summary>Iterative: pruning rounds after the dense round.</summary>
    public int? Rounds { get; init; }

    /// <summary>EveryEpoch and Gradual: the first epoch after which to prune (default 1 for EveryEpoch); OneShot: the epoch after which to prune once (null: after a full training).</summary>
    public int? StartEpoch { get; init; }

    /// <summary>EveryEpoch: the last epoch after which to prune (null: no limit); Gradual: the epoch after which the target is reached.</summary>
    public int? EndEpoch { get; init; }

    /// <summary>Gradual: the sparsity after the start epoch, in [0, 1 - target).</summary>
    public double InitialSparsity { get; init; }

    /// <summary>Which weights go; a layer's own criterion overrides it; <see cref="CriterionName"/>, when given, replaces it.</summary>
    public CriterionKind Criterion { get; init; }

    /// <summary>
    /// A criterion of your own, by the name it is registered under (<see cref="PruningCriteria.Register"/>), instead of
    /// <see cref="Criterion"/>; null for a built-in one. Left out of the JSON when null, so other methods keep their identities.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CriterionName { get; init; }

    /// <summary>
    /// With <see cref="CriterionName"/>: that criterion's <see cref="IPruningCriterion.Settings"/>, filled in when an
    /// experiment plans its runs (<see cref="WithCriterionSettings"/>), so that they are part of the run's identity.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CriterionSettings { get; init; }

    /// <summary>The name of the criterion the method prunes by: <see cref="CriterionName"/>, or <see cref="Criterion"/>'s.</summary>
    [JsonIgnore]
    public string CriterionDisplayName => CriterionName ?? Criterion.ToString();

    /// <summary>
    /// This method with <see cref="CriterionSettings"/> read from the registered criterion <see cref="CriterionName"/> names
    /// (itself when it names none).
    /// </summary>
    /// <exception cref="ArgumentException">No criterion of that name is registered.</exception>
    public PruningMethod WithCriterionSettings() => CriterionName is { } name
        ? this with { CriterionSettings = PruningCriteria.FromName(name).Settings is { Length: > 0 } settings ? settings : null }
        : this;

    /// <summary>Layerwise or Global.</summary>
    public PruningScope Scope { get; init; }

    /// <summary>What happens to the surviving weights after each pruning event.</summary>
    public RewindKind Rewind { get; init; }

    /// <summary>With <see cref="RewindKind.ToEpoch"/>: the epoch whose weights training restarts from.</summary>
    public int RewindEpoch { get; init; }

    /// <summary>
    /// Criteria that score on data (Snip): the number of training examples in their batch; null for
    /// <see cref="PruningContext.DefaultScoringBatchSize"/>. Left out of the JSON when null, so the identities of methods
    /// that never give it are what they were before it existed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ScoringBatchSize { get; init; }

    /// <summary>
    /// In an experiment: the epochs of one training of this method's runs (each IMP round), instead of the
    /// experiment's; null: the experiment's. A run's <see cref="Training.TrainingSettings.Epochs"/> is what it trains;
    /// experiments set it from this. Left out of the JSON when null, so methods without it keep their identities.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Epochs { get; init; }

    /// <summary>
    /// Whether the masked layers are pruned by the units of their dependency groups (channels, neurons) instead of single
    /// weights: each unit with its norm entries, its consumers' input columns and the same unit of every branch of a
    /// residual add, each group keeping at least one unit (<see cref="MaskSet.UseGroups"/>); layers in no group (the output
    /// layer) are pruned by their own structure. A run traces the groups on its first training example. Left out of the JSON
    /// when false, so methods without it keep their identities.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Groups { get; init; }

    /// <summary>
    /// With <see cref="Groups"/>: each group keeps a multiple of this many units after an event by rate (Layerwise), as
    /// Torch-Pruning's <c>round_to</c> does, so that a compacted layer's channels suit vectorized kernels (8 for AVX2's
    /// blocked convolutions); a group with fewer units than this is not rounded. Null: no rounding. Left out of the JSON
    /// when null, so methods without it keep their identities.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RoundTo { get; init; }

    /// <summary>DynamicSparse: how pruned connections are chosen to regrow (null for other schedules).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RegrowthKind? Regrowth { get; init; }

    /// <summary>DynamicSparse: the fraction of each layer's surviving weights the first update drops; null: 0.3.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DropFraction { get; init; }

    /// <summary>DynamicSparse: batches between mask updates; null: 100.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? UpdateEvery { get; init; }

    /// <summary>Per-layer rates and criteria, on top of the model's declarations.</summary>
    public IReadOnlyList<LayerOverride> Layers { get; init; } = [];

    /// <summary>
    /// Seeds the initial weights when they must differ from the training seed (the random re-initialisation
    /// control); null: the training seed.
    /// </summary>
    public long? InitSeed { get; init; }

    /// <summary>
    /// EveryEpoch, Gradual and OneShot after an epoch: Early-Bird's stop (<see cref="EarlyBirdStop"/>); null: none. Left out
    /// of the JSON when null, so methods without it keep their identities.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public EarlyBirdStop? EarlyBird { get; init; }

    /// <summary>Whether runs of this method train in rounds, pruning and rewinding between them (IMP, <see cref="ScheduleKind.Iterative"/>).</summary>
    [JsonIgnore]
    public bool TrainsInRounds => Schedule is { } kind && ScheduleDescriptor.Of(kind).TrainsInRounds;

    /// <summary>Whether the method never prunes.</summary>
    public bool IsDense => Schedule is null;

    /// <summary>The rewinding as the runtime's value.</summary>
    public Rewind RewindValue => Rewind == RewindKind.ToEpoch ? Schedules.Rewind.ToEpoch(RewindEpoch) : new Rewind(Rewind);

    /// <summary>Rounds of training a run of this method has: IMP's dense round plus its pruning rounds (for a target without Rounds, counted at the method's rate), two for OneShot after a full training, one otherwise.</summary>
    public int TrainingRounds => Schedule is { } kind ? ScheduleDescriptor.Of(kind).TrainingRounds(Values) : 1;

    /// <summary>The schedule's values, for the rules of its kind (<see cref="ScheduleDescriptor"/>).</summary>
    internal ScheduleValues Values => new(Schedule ?? default, Rate, TargetRemaining, StartEpoch, EndEpoch, Rounds, InitialSparsity, Regrowth, DropFraction, UpdateEvery);

    /// <summary>Checks that every value the schedule needs is there and in range; the message names the property and what to give.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range.</exception>
    public PruningMethod Validate()
    {
        if (Schedule is not { } kind)
        {
            return this;
        }

        var descriptor = ScheduleDescriptor.Of(kind);
        foreach (var (setting, why) in descriptor.Refused(GivenSettings()))
        {
            Check(false, setting, $"{setting} does not apply to {why}; leave it out");
        }

        if (descriptor.Missing(Values) is { } missing)
        {
            Check(false, new string(missing.TakeWhile(char.IsLetter).ToArray()), $"{descriptor.Named} needs {missing}");
        }

        Check(Rate > 0 && Rate < 1, nameof(Rate), $"{Number(Rate)} is not a fraction in (0, 1); give for example 0.2");
        Check(CriterionName is null || PruningCriteria.TryFind(CriterionName, out _), nameof(CriterionName),
            $"no criterion named '{CriterionName}' is registered; call PruningCriteria.Register(new YourCriterion()) before the experiment runs (at the top of Main, before LotteryCommandLine.Run)");
        Check(TargetRemaining is null || (TargetRemaining > 0 && TargetRemaining <= 1), nameof(TargetRemaining), $"{Number(TargetRemaining)} is not in (0, 1]; give the fraction of weights to leave, for example 0.1");
        Check(Rounds is null || Rounds >= 1, nameof(Rounds), $"{Rounds} rounds cannot prune; give at least 1");
        Check(StartEpoch is null || StartEpoch >= 1, nameof(StartEpoch), $"{StartEpoch} is not an epoch; epochs count from 1");
        Check(EndEpoch is null || EndEpoch >= (StartEpoch ?? 1), nameof(EndEpoch), $"{EndEpoch} comes before the start epoch {StartEpoch ?? 1}");
        Check(InitialSparsity >= 0 && InitialSparsity < 1 - (TargetRemaining ?? 0) + 1e-12, nameof(InitialSparsity), $"{Number(InitialSparsity)} is not in [0, 1 - target)");
        Check(Rewind != RewindKind.ToEpoch || RewindEpoch >= 0, nameof(RewindEpoch), $"Rewind ToEpoch needs the epoch to rewind to (0 is initialisation), not {RewindEpoch}");
        Check(Rewind == RewindKind.ToEpoch || RewindEpoch == 0, nameof(RewindEpoch), $"{RewindEpoch} is given but Rewind is {Rewind}; use Rewind ToEpoch or leave it out");
        Check(Epochs is null || Epochs >= 1, nameof(Epochs), $"{Epochs} epochs cannot train; give at least 1, or leave it out for the experiment's");
        Check(DropFraction is null || (DropFraction > 0 && DropFraction < 1), nameof(DropFraction), $"{Number(DropFraction)} is not a fraction in (0, 1); give for example 0.3");
        Check(UpdateEvery is null || UpdateEvery >= 1, nameof(UpdateEvery), $"{UpdateEvery} batches between updates: give at least 1, for example 100");
        Check(ScoringBatchSize is null || ScoringBatchSize >= 1, nameof(ScoringBatchSize), $"{ScoringBatchSize} examples cannot make a batch; give at least 1, for example 100");
        foreach (var layer in Layers)
        {
            Check(layer.Rate is null || (layer.Rate > 0 && layer.Rate < 1), nameof(Layers), $"{layer.Layer}'s rate {Number(layer.Rate)} is not a fraction in (0, 1)");
        }

        if (EarlyBird is { } bird)
        {
            Check(bird.Distance > 0 && bird.Distance < 1, nameof(EarlyBird), $"the distance {Number(bird.Distance)} is not a fraction in (0, 1); give for example 0.1");
            Check(bird.Epochs >= 1, nameof(EarlyBird), $"{bird.Epochs} epochs in a row: give at least 1 (the paper's 5)");
            Check(descriptor.PrunesDuringOneRun(Values), nameof(EarlyBird), $"Early-Bird stops a schedule that prunes during one run (EveryEpoch, Gradual, or OneShot after an epoch), not {Schedule}{(kind == ScheduleKind.OneShot ? " after a full training" : string.Empty)}");
        }

        if (descriptor.PrunesBeforeTraining)
        {
            foreach (var (criterion, where) in Layers.Where(l => l.Criterion is not null).Select(l => (l.Criterion!.Value, $"{l.Layer}'s criterion")).Prepend((Criterion, "the criterion")))
            {
                Check(!PruningCriteria.Of(criterion).Needs.HasFlag(CriterionNeeds.Training), where == "the criterion" ? nameof(Criterion) : nameof(Layers),
                    $"{where} {criterion} needs training before it can score, but {Schedule} prunes before any; use Snip, SynFlow, Magnitude or Random");
            }
        }

        return this;
    }

    /// <summary>The runtime's settings for this method: the schedule object, criterion, scope, rewinding, overrides and init seed.</summary>
    /// <exception cref="ArgumentException">The method is not valid (see <see cref="Validate"/>).</exception>
    public PruningSettings ToSettings()
    {
        Validate();
        var schedule = Schedule is { } kind ? ScheduleDescriptor.Of(kind).Create(Values) : null;
        return new PruningSettings
        {
            Schedule = schedule,
            Criterion = CriterionName is { } own ? PruningCriteria.FromName(own) : PruningCriteria.Of(Criterion),
            Scope = Scope,
            Rewind = RewindValue,
            LayerOverrides = Layers,
            InitSeed = InitSeed,
            EarlyBird = EarlyBird,
            ScoringBatchSize = ScoringBatchSize ?? PruningContext.DefaultScoringBatchSize,
            Groups = Groups,
            RoundTo = RoundTo ?? 1,
        };
    }

    /// <summary>The method as indented JSON, enums by name (what run identities hash).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AtomicFile.Json);

    /// <summary>Reads a method written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not a method.</exception>
    public static PruningMethod FromJson(string json) =>
        JsonSerializer.Deserialize<PruningMethod>(json, AtomicFile.Json) ?? throw new JsonException("The JSON holds no pruning method.");

    /// <summary>One line for people, for example <c>EveryEpoch 20% after epochs 2-12 to 7%, Magnitude, Global, rewind ToEpoch(1)</c>.</summary>
    public override string ToString()
    {
        if (Schedule is null)
        {
            return InitSeed is { } seed ? $"no pruning, weights initialised with seed {seed}" : "no pruning";
        }

        var when = ScheduleDescriptor.Of(Schedule.Value).Describe(Values);
        var target = TargetRemaining is { } t ? $" to {Percent(t)}" : string.Empty;
        var layers = Layers.Count == 0 ? string.Empty : "; " + string.Join(", ", Layers.Select(l => $"{l.Layer}{(l.Rate is { } lr ? " " + Percent(lr) : string.Empty)}{(l.Criterion is { } lc ? " " + lc : string.Empty)}"));
        var seedText = InitSeed is { } init ? $", init seed {init}" : string.Empty;
        var batch = ScoringBatchSize is { } size ? $", scoring batch {size}" : string.Empty;
        var length = Epochs is { } epochs ? $", {epochs} epochs{(TrainsInRounds ? " per round" : string.Empty)}" : string.Empty;
        var bird = EarlyBird is { } stop ? $", Early-Bird stop below {Percent(stop.Distance)} for {stop.Epochs} epochs" : string.Empty;
        var criterion = CriterionSettings is { } settings ? $"{CriterionDisplayName} ({settings})" : CriterionDisplayName;
        var groups = Groups ? $" by dependency groups{(RoundTo is { } round ? $", {round} units at a time" : string.Empty)}" : string.Empty;
        return $"{when}{target}, {criterion}{batch}, {Scope}{groups}, rewind {RewindValue}{layers}{seedText}{bird}{length}";
    }

    /// <summary>Every setting equal (the per-layer overrides in order); compared directly, never through JSON.</summary>
    public bool Equals(PruningMethod? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Schedule == other.Schedule && Rate.Equals(other.Rate) && Nullable.Equals(TargetRemaining, other.TargetRemaining)
                && Rounds == other.Rounds && StartEpoch == other.StartEpoch && EndEpoch == other.EndEpoch
                && InitialSparsity.Equals(other.InitialSparsity) && Criterion == other.Criterion && Scope == other.Scope
                && Rewind == other.Rewind && RewindEpoch == other.RewindEpoch && ScoringBatchSize == other.ScoringBatchSize
                && Epochs == other.Epochs && Regrowth == other.Regrowth && Nullable.Equals(DropFraction, other.DropFraction)
                && UpdateEvery == other.UpdateEvery && InitSeed == other.InitSeed && Equals(EarlyBird, other.EarlyBird)
                && CriterionName == other.CriterionName && CriterionSettings == other.CriterionSettings
                && Groups == other.Groups && RoundTo == other.RoundTo && Layers.SequenceEqual(other.Layers)));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Schedule);
        hash.Add(Rate);
        hash.Add(TargetRemaining);
        hash.Add(Rounds);
        hash.Add(StartEpoch);
        hash.Add(EndEpoch);
        hash.Add(Criterion);
        hash.Add(CriterionName);
        hash.Add(Scope);
        hash.Add(Groups);
        hash.Add(RoundTo);
        hash.Add(Rewind);
        hash.Add(InitSeed);
        hash.Add(Layers.Count);
        return hash.ToHashCode();
    }

    // The settings this method gives beyond its kind and rate, by name, for the settings its kind refuses.
    private IEnumerable<string> GivenSettings()
    {
        var given = new (string Setting, bool Given)[]
        {
            (nameof(Rounds), Rounds is not null), (nameof(StartEpoch), StartEpoch is not null), (nameof(EndEpoch), EndEpoch is not null),
            (nameof(InitialSparsity), InitialSparsity != 0), (nameof(Rewind), Rewind != RewindKind.None), (nameof(Regrowth), Regrowth is not null),
            (nameof(DropFraction), DropFraction is not null), (nameof(UpdateEvery), UpdateEvery is not null),
        };
        return given.Where(g => g.Given).Select(g => g.Setting);
    }

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "null";

    private static string Percent(double value) => (value * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    private static void Check(bool ok, string property, string problem)
    {
        if (!ok)
        {
            throw new ArgumentException($"PruningMethod.{property}: {problem}.");
        }
    }
}
