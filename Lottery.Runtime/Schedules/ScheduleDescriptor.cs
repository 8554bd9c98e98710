// One home for what each schedule kind takes, needs, reaches and is called: compiled into Lottery.Runtime
// (PruningMethod's checks, its schedule object, its description, experiments' arms) and into Lottery.Generators
// ([PruneSchedule]'s diagnostics, the generated method and its documentation), so the two cannot disagree.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
#if LOTTERY_GENERATOR
using Lottery.Generators.Vocabulary;
#endif

namespace Lottery.Schedules;

/// <summary>
/// A schedule's values as declared: what <c>[PruneSchedule]</c> gives the generator and what a
/// <c>PruningMethod</c> holds, for the rules in <see cref="ScheduleDescriptor"/>.
/// </summary>
/// <param name="Kind">The schedule kind.</param>
/// <param name="Rate">The fraction of the remaining weights each event removes.</param>
/// <param name="TargetRemaining">The fraction of the prunable weights to leave; null when not given.</param>
/// <param name="StartEpoch">The first (or only) epoch after which to prune; null when not given.</param>
/// <param name="EndEpoch">The last epoch after which to prune; null when not given.</param>
/// <param name="Rounds">Iterative's pruning rounds; null when not given.</param>
/// <param name="InitialSparsity">Gradual's sparsity after the start epoch.</param>
/// <param name="Regrowth">DynamicSparse's regrowth; null when not given.</param>
/// <param name="DropFraction">DynamicSparse's first drop fraction; null for the default.</param>
/// <param name="UpdateEvery">DynamicSparse's batches between updates; null for the default.</param>
internal readonly record struct ScheduleValues(
    ScheduleKind Kind,
    double Rate,
    double? TargetRemaining = null,
    int? StartEpoch = null,
    int? EndEpoch = null,
    int? Rounds = null,
    double InitialSparsity = 0.0,
    RegrowthKind? Regrowth = null,
    double? DropFraction = null,
    int? UpdateEvery = null);

/// <summary>
/// One schedule kind, whole: the settings it refuses and why, what it cannot do without, where it stops short of its
/// target, how many trainings a run of it has, how it reads in one line, and (in the runtime) the schedule object it
/// makes. <see cref="Of"/> finds a kind's descriptor; a new kind is one entry in <see cref="All"/> and its schedule class.
/// </summary>
internal sealed class ScheduleDescriptor
{
    /// <summary>DynamicSparse: the fraction of each layer's surviving weights the first update drops, unless given.</summary>
    public const double DefaultDropFraction = 0.3;

    /// <summary>DynamicSparse: batches between mask updates, unless given.</summary>
    public const int DefaultUpdateEvery = 100;

    private ScheduleDescriptor(ScheduleKind kind) => Kind = kind;

    /// <summary>The kind described.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>The kind with its article, as messages write it: "an Iterative schedule".</summary>
    // "a OneShot": it reads "a one-shot".
    public string Named => $"{(Kind.ToString()[0] is 'A' or 'E' or 'I' ? "an" : "a")} {Kind} schedule";

    /// <summary>Trains in rounds, rewinding between them (IMP): Rounds apply and an experiment can match other arms to its rounds.</summary>
    public bool TrainsInRounds { get; private init; }

    /// <summary>Prunes once before any training: its criteria must score untrained weights.</summary>
    public bool PrunesBeforeTraining { get; private init; }

    /// <summary>Drops and regrows connections during training at a constant density.</summary>
    public bool RegrowsConnections { get; private init; }

    /// <summary>Prunes to a target within one run, so an experiment can run it to another arm's weights remaining.</summary>
    public bool RunsToTarget { get; private init; }

    /// <summary>The criterion a declaration gets when it names none.</summary>
    public CriterionKind DefaultCriterion { get; private init; } = CriterionKind.Magnitude;

    /// <summary>The rewinding a declaration gets when it names none.</summary>
    public RewindKind DefaultRewind { get; private init; } = RewindKind.None;

    /// <summary>The settings this kind refuses, each with the end of the sentence that says why.</summary>
    public IReadOnlyDictionary<string, string> Refuses { get; private init; } = new Dictionary<string, string>();

    /// <summary>The settings it cannot do without, as a message lists them; null when nothing is missing.</summary>
    public Func<ScheduleValues, string?> Missing { get; private init; } = _ => null;

    /// <summary>Whether Early-Bird's stop can apply: the kind prunes during one run (OneShot only after an epoch).</summary>
    public Func<ScheduleValues, bool> PrunesDuringOneRun { get; private init; } = _ => false;

    /// <summary>When it prunes, in one line: "EveryEpoch 20% after epochs 1-12".</summary>
    public Func<ScheduleValues, string> Describe { get; private init; } = v => v.Kind.ToString();

    /// <summary>
    /// Where the kind stops short of its target, counted at its rate, given the epochs it trains when known (null:
    /// unknown): the fraction it reaches and why; null when it gets there or cannot be told.
    /// </summary>
    public Func<ScheduleValues, int?, (double Reached, string Why)?> Unreached { get; private init; } = (_, _) => null;

    /// <summary>
    /// The pruning events within the given epochs when the kind counts them at its rate (EveryEpoch), for matching another
    /// arm's rounds; null when it does not prune event by event.
    /// </summary>
    public Func<ScheduleValues, int, int?> EventsWithin { get; private init; } = (_, _) => null;

    /// <summary>Trainings a run of this kind has: IMP's dense round and its pruning rounds, two for OneShot after a full training, one otherwise.</summary>
    public Func<ScheduleValues, int> TrainingRounds { get; private init; } = _ => 1;

#if !LOTTERY_GENERATOR
    /// <summary>The runtime's schedule for checked values.</summary>
    public Func<ScheduleValues, IPruningSchedule> Create { get; private init; } = v => throw new ArgumentOutOfRangeException(nameof(v), v.Kind, "Unknown schedule kind.");
#endif

    /// <summary>Every built-in kind, in <see cref="ScheduleKind"/>'s order.</summary>
    public static IReadOnlyList<ScheduleDescriptor> All { get; } =
    [
        new(ScheduleKind.Iterative)
        {
            TrainsInRounds = true,
            DefaultRewind = RewindKind.ToInit,
            Refuses = new Dictionary<string, string>
            {
                ["StartEpoch"] = ", which prunes after whole rounds",
                ["EndEpoch"] = ", which prunes after whole rounds",
                ["InitialSparsity"] = NotGradual,
            },
            Missing = v => v.Rounds is null && v.TargetRemaining is null ? "Rounds or TargetRemaining, or it never stops" : null,
            Describe = v => $"Iterative {Percent(v.Rate)} per round" + (v.Rounds is { } r ? $", {r} rounds" : string.Empty),
            Unreached = (v, _) => v.TargetRemaining is { } target && v.Rounds is { } rounds && Reach.Remaining(v.Rate, rounds) is var reached && reached > target + 1e-9
                ? (reached, $"{Percent1(v.Rate)} per round over {rounds} {(rounds == 1 ? "round" : "rounds")}")
                : null,
            TrainingRounds = v => (v.Rounds ?? Reach.EventsToReach(v.TargetRemaining ?? 1, v.Rate)) + 1,
#if !LOTTERY_GENERATOR
            Create = v => new IterativeSchedule(v.Rate, v.Rounds ?? int.MaxValue, v.TargetRemaining ?? 0.0),
#endif
        },
        new(ScheduleKind.EveryEpoch)
        {
            RunsToTarget = true,
            Refuses = new Dictionary<string, string> { ["InitialSparsity"] = NotGradual },
            Missing = v => Needs(("TargetRemaining", v.TargetRemaining is null)),
            PrunesDuringOneRun = _ => true,
            Describe = v => $"EveryEpoch {Percent(v.Rate)} after epochs {v.StartEpoch ?? 1}-" + (v.EndEpoch is { } e ? e.ToString(CultureInfo.InvariantCulture) : "end"),
            Unreached = EveryEpochUnreached,
            EventsWithin = (v, epochs) => Reach.EveryEpochEvents(v.StartEpoch, v.EndEpoch, epochs),
#if !LOTTERY_GENERATOR
            Create = v => new EveryEpochSchedule(v.Rate, v.TargetRemaining ?? 0.0, v.StartEpoch ?? 1, v.EndEpoch ?? int.MaxValue),
#endif
        },
        new(ScheduleKind.Gradual)
        {
            RunsToTarget = true,
            Missing = v => Needs(("TargetRemaining", v.TargetRemaining is null), ("StartEpoch", v.StartEpoch is null), ("EndEpoch", v.EndEpoch is null)),
            PrunesDuringOneRun = _ => true,
            Describe = v => $"Gradual cubic after epochs {v.StartEpoch}-{v.EndEpoch}" + (v.InitialSparsity > 0 ? $" from {Percent(v.InitialSparsity)} sparsity" : string.Empty),
            Unreached = (v, epochs) => v.TargetRemaining is { } target && epochs is { } trained && v.EndEpoch > trained && v.StartEpoch is { } start
                ? (Reach.GradualRemaining(trained, start, v.EndEpoch.Value, v.InitialSparsity, target), $"training ends after epoch {trained}, before EndEpoch {v.EndEpoch}")
                : null,
#if !LOTTERY_GENERATOR
            Create = v => new GradualSchedule(v.TargetRemaining ?? 0.0, v.StartEpoch ?? 1, v.EndEpoch ?? 1, v.InitialSparsity, v.Rate),
#endif
        },
        new(ScheduleKind.OneShot)
        {
            RunsToTarget = true,
            Refuses = new Dictionary<string, string>
            {
                ["EndEpoch"] = ", which prunes once, after StartEpoch",
                ["InitialSparsity"] = NotGradual,
            },
            Missing = v => Needs(("TargetRemaining", v.TargetRemaining is null)),
            PrunesDuringOneRun = v => v.StartEpoch is not null,
            Describe = v => "OneShot " + (v.StartEpoch is { } s ? $"after epoch {s}" : "after a full training"),
            Unreached = (v, epochs) => v.TargetRemaining is not null && epochs is { } trained && v.StartEpoch > trained
                ? (1.0, $"training ends after epoch {trained}, before StartEpoch {v.StartEpoch}")
                : null,
            TrainingRounds = v => v.StartEpoch is null ? 2 : 1,
#if !LOTTERY_GENERATOR
            Create = v => new OneShotSchedule(v.TargetRemaining ?? 0.0, v.StartEpoch, v.Rate),
#endif
        },
        new(ScheduleKind.AtInit)
        {
            RunsToTarget = true,
            PrunesBeforeTraining = true,
            Refuses = new Dictionary<string, string>
            {
                ["StartEpoch"] = ", which prunes once, before the first epoch",
                ["EndEpoch"] = ", which prunes once, before the first epoch",
                ["Rewind"] = ", which prunes before training: the weights are still the initial ones",
                ["InitialSparsity"] = NotGradual,
            },
            Missing = v => Needs(("TargetRemaining", v.TargetRemaining is null)),
            Describe = _ => "AtInit before training",
#if !LOTTERY_GENERATOR
            Create = v => new AtInitSchedule(v.TargetRemaining ?? 0.0, v.Rate),
#endif
        },
        new(ScheduleKind.DynamicSparse)
        {
            RunsToTarget = true,
            PrunesBeforeTraining = true,
            RegrowsConnections = true,
            // Dynamic sparse training starts from a random mask, as SET and RigL do, unless told otherwise.
            DefaultCriterion = CriterionKind.Random,
            Refuses = new Dictionary<string, string>
            {
                ["StartEpoch"] = ", which prunes once, before the first epoch",
                ["Rewind"] = ", which keeps training the weights it has as its mask changes",
                ["InitialSparsity"] = NotGradual,
            },
            Missing = v => Needs(("TargetRemaining", v.TargetRemaining is null), ("Regrowth", v.Regrowth is null)),
            Describe = v => $"DynamicSparse regrowing {(v.Regrowth == RegrowthKind.Gradient ? "by gradient (RigL)" : "at random (SET)")}, dropping {Percent(v.DropFraction ?? DefaultDropFraction)} every {v.UpdateEvery ?? DefaultUpdateEvery} batches"
                + (v.EndEpoch is { } last ? $" to epoch {last}" : " for 3/4 of training"),
#if !LOTTERY_GENERATOR
            Create = v => new DynamicSparseSchedule(v.TargetRemaining ?? 0.0, v.Regrowth ?? RegrowthKind.Random, v.Rate, v.DropFraction ?? DefaultDropFraction, v.UpdateEvery ?? DefaultUpdateEvery, v.EndEpoch),
#endif
        },
    ];

    /// <summary>The settings only DynamicSparse takes; every other kind refuses them.</summary>
    public static IReadOnlyList<string> RegrowthSettings { get; } = ["Regrowth", "DropFraction", "UpdateEvery"];

    private const string NotGradual = "; only Gradual starts from an initial sparsity";

    /// <summary>The descriptor of <paramref name="kind"/>.</summary>
    public static ScheduleDescriptor Of(ScheduleKind kind) =>
        (int)kind >= 0 && (int)kind < All.Count ? All[(int)kind] : throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown schedule kind.");

    /// <summary>
    /// The settings among <paramref name="given"/> that this kind refuses, each with the reason as the end of a sentence
    /// that begins "&lt;setting&gt; does not apply to": "a OneShot schedule, which prunes once, after StartEpoch".
    /// </summary>
    public IEnumerable<(string Setting, string Why)> Refused(IEnumerable<string> given)
    {
        foreach (var setting in given)
        {
            if (setting == "Rounds" && !TrainsInRounds)
            {
                yield return (setting, $"{Named}; only Iterative trains in rounds");
            }
            else if (RegrowthSettings.Contains(setting) && !RegrowsConnections)
            {
                yield return (setting, $"{Named}; only DynamicSparse drops and regrows connections during training");
            }
            else if (Refuses.TryGetValue(setting, out var why))
            {
                yield return (setting, Named + why);
            }
        }
    }

    /// <summary>Whether this kind takes <paramref name="setting"/> (a name of PruningMethod's or [PruneSchedule]'s).</summary>
    public bool Takes(string setting) => !Refused([setting]).Any();

    // What a declaration lacks, as "needs ..." ends: one setting with what it is, several by name.
    private static string? Needs(params (string Setting, bool Missing)[] settings)
    {
        var missing = settings.Where(s => s.Missing).Select(s => s.Setting).ToList();
        return missing.Count switch
        {
            0 => null,
            1 => $"{missing[0]}, {WhatItIs[missing[0]]}",
            _ => string.Join(", ", missing.Take(missing.Count - 1)) + " and " + missing[missing.Count - 1],
        };
    }

    private static readonly Dictionary<string, string> WhatItIs = new()
    {
        ["TargetRemaining"] = "the fraction of the prunable weights to leave, for example 0.1",
        ["StartEpoch"] = "the first epoch after which to prune",
        ["EndEpoch"] = "the epoch after which the target is reached",
        ["Regrowth"] = "how to regrow: Random (SET) or Gradient (RigL)",
    };

    private static (double Reached, string Why)? EveryEpochUnreached(ScheduleValues v, int? epochs)
    {
        var last = Math.Min(v.EndEpoch ?? int.MaxValue, epochs ?? int.MaxValue);
        if (v.TargetRemaining is not { } target || last == int.MaxValue)
        {
            return null;
        }

        var events = Reach.EveryEpochEvents(v.StartEpoch, v.EndEpoch, last);
        var reached = Reach.Remaining(v.Rate, events);
        return reached > target + 1e-9
            ? (reached, $"{Percent1(v.Rate)} per epoch over {events} {(events == 1 ? "epoch" : "epochs")} (epochs {v.StartEpoch ?? 1} to {last})")
            : null;
    }

    // Descriptions keep three decimals of a percentage (they name methods); reasons in messages keep one.
    private static string Percent(double fraction) => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    private static string Percent1(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
