using Lottery.Criteria;
using Lottery.Groups;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>What one pruning event did.</summary>
/// <param name="WeightsRemainingBefore">Fraction of prunable weights remaining before the event.</param>
/// <param name="WeightsRemainingAfter">Fraction remaining after it.</param>
/// <param name="Removed">Entries removed, by parameter name.</param>
public sealed record PruningEvent(double WeightsRemainingBefore, double WeightsRemainingAfter, IReadOnlyDictionary<string, long> Removed);

/// <summary>
/// Applies one pruning event to a <see cref="MaskSet"/>: decides how many entries each layer (or the
/// global pool) loses, asks the criterion for scores, and clears the lowest-scoring surviving entries.
/// </summary>
/// <remarks>
/// Counts: a unit (a layer, or the global pool) with <c>r</c> remaining entries at rate <c>p</c> loses
/// <c>round(p * r)</c> entries, rounding halves away from zero. When that would leave fewer than the
/// target, or when the amount asks for the target exactly, the removal needed to reach
/// <c>round(target * total)</c> is shared between units in proportion to <c>p * r</c> by the
/// largest-remainder method (ties to the earlier unit), so the total is exact.
/// Ties in score: among surviving entries with equal scores, the one that comes first in the flattened
/// order (units in model order, row-major within a parameter) is pruned first. The sort is stable, so
/// the same scores always give the same mask.
/// Structured layers (<see cref="Structure.Neurons"/>, <see cref="Structure.Channels"/>) lose whole units: each unit
/// is scored by the mean of its weights' scores, counts are in units (<c>round(p * r)</c> of the <c>r</c> units
/// remaining, and a target counts units too), the layer's bias entry goes with its unit, and in a global scope the
/// structured layers form a pool of their own, apart from the unstructured one.
/// </remarks>
public static class Pruner
{
    /// <summary>Prunes <paramref name="masks"/> once and zeroes the newly pruned weights.</summary>
    /// <remarks>
    /// A criterion that scores through a context (<see cref="IContextCriterion"/>) gets only the masks and the generator
    /// here; give it more with <see cref="Prune(PruningContext, PruningAmount, PruningScope, IPruningCriterion)"/>.
    /// </remarks>
    public static PruningEvent Prune(MaskSet masks, PruningAmount amount, PruningScope scope, IPruningCriterion criterion, Generator random)
    {
        ArgumentNullException.ThrowIfNull(masks);
        return Prune(new PruningContext(masks, random), amount, scope, criterion);
    }

    /// <summary>
    /// Prunes the context's masks once and zeroes the newly pruned weights; criteria that need the model, data or what
    /// training gathered find it in <paramref name="context"/>.
    /// </summary>
    /// <remarks>
    /// When a criterion asks for several scoring passes (<see cref="IContextCriterion.Iterations"/>, SynFlow's 100), the
    /// event is split: after pass k of n a group keeps <c>round(r * (a / r)^(k / n))</c> of the <c>r</c> it had, <c>a</c>
    /// being what the whole event leaves it (the counts above), so the event removes what it would in one pass, on the
    /// paper's exponential schedule, with the survivors scored again before each pass. Groups whose criterion scores
    /// once lose their whole count in the first pass.
    /// </remarks>
    public static PruningEvent Prune(PruningContext context, PruningAmount amount, PruningScope scope, IPruningCriterion criterion)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(criterion);
        if (!(amount.Rate > 0 && amount.Rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount.Rate, "The rate is the fraction of remaining weights removed at each pruning event and must be in (0, 1).");
        }

        if (!(amount.TargetRemaining >= 0 && amount.TargetRemaining <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount.TargetRemaining, "The target is a fraction of all prunable weights and must be in [0, 1].");
        }

        return Prune(context, amount, Units(context.Masks, scope, amount.Rate, criterion, null));
    }

    /// <summary>
    /// Prunes whole units of <paramref name="groups"/> (every one of them, structured layers or not) and nothing else: the
    /// event <see cref="Lottery.Groups.GroupPruner"/> runs. The masks must use the groups (<see cref="MaskSet.UseGroups"/>).
    /// </summary>
    internal static PruningEvent PruneGroups(PruningContext context, PruningAmount amount, PruningScope scope, IPruningCriterion criterion, IReadOnlyList<DependencyGroup> groups) =>
        Prune(context, amount, Units(context.Masks, scope, amount.Rate, criterion, groups));

    private static PruningEvent Prune(PruningContext context, PruningAmount amount, List<PruningUnit> units)
    {
        var masks = context.Masks;
        var before = masks.WeightsRemaining;
        var counts = Counts(masks, units, amount);
        var plans = units.Select((u, i) => new PassPlan(UnitsRemaining(masks, u), counts[i], Iterations(u.Criterion))).ToList();
        var passes = plans.Where(p => p.Count > 0).Select(p => p.Iterations).DefaultIfEmpty(1).Max();
        var removed = new Dictionary<string, long>();
        for (var pass = 1; pass <= passes; pass++)
        {
            using var scores = new PassScores(context, units);
            using (var noGrad = no_grad())
            {
                for (var u = 0; u < units.Count; u++)
                {
                    var count = plans[u].RemovedAfter(pass) - plans[u].RemovedAfter(pass - 1);
                    var pruned = units[u].Groups is { } groups
                        ? PruneGroups(masks, units[u], groups, count, amount, scores)
                        : units[u].Structured
                        ? PruneStructured(masks, units[u].Weights, count, units[u].Criterion, scores)
                        : PruneUnit(masks, units[u].Weights, count, units[u].Criterion, scores);
                    foreach (var (name, removedNow) in pruned)
                    {
                        removed[name] = removed.GetValueOrDefault(name) + removedNow;
                    }
                }
            }

            masks.ApplyToWeights();
        }

        return new PruningEvent(before, masks.WeightsRemaining, removed);
    }

    private static int Iterations(IPruningCriterion criterion) =>
        criterion is IContextCriterion { Iterations: > 1 and var iterations } ? iterations : 1;

    /// <summary>
    /// The count each group loses: the unstructured groups share their removal as <see cref="RemovalCounts"/> decides
    /// (over their own entries), each structured group counts its units on its own (<see cref="UnitRemovalCount"/>).
    /// </summary>
    private static long[] Counts(MaskSet masks, IReadOnlyList<PruningUnit> units, PruningAmount amount)
    {
        var counts = new long[units.Count];
        var unstructured = Enumerable.Range(0, units.Count).Where(i => !units[i].Structured).ToList();
        var shared = RemovalCounts(unstructured.Select(i => units[i]).ToList(), unstructured.Sum(i => units[i].Weights.Sum(w => w.Count)), amount);
        for (var k = 0; k < unstructured.Count; k++)
        {
            counts[unstructured[k]] = shared[k];
        }

        foreach (var i in Enumerable.Range(0, units.Count).Where(i => units[i].Structured))
        {
            counts[i] = UnitRemovalCount(masks, units[i], amount);
        }

        return counts;
    }

    /// <summary>The number of entries each unit (a layer, or the global pool) loses.</summary>
    internal static long[] RemovalCounts(IReadOnlyList<PruningUnit> units, long total, PruningAmount amount)
    {
        if (units.Count == 0)
        {
            return [];
        }

        var remaining = units.Select(u => u.Weights.Sum(w => w.Remaining)).ToArray();
        var counts = units.Select((u, i) => (long)Math.Round(u.Rate * remaining[i], MidpointRounding.AwayFromZero)).ToArray();
        var target = (long)Math.Round(amount.TargetRemaining * total, MidpointRounding.AwayFromZero);
        var left = remaining.Sum() - counts.Sum();
        if (!amount.ExactTarget && left >= target)
        {
            return counts;
        }

        var needed = Math.Max(0, remaining.Sum() - target);
        var shares = units.Select((u, i) => u.Rate * remaining[i]).ToArray();
        var totalShare = shares.Sum();
        var ideal = shares.Select(s => totalShare > 0 ? needed * s / totalShare : 0).ToArray();
        counts = ideal.Select((x, i) => Math.Min(remaining[i], (long)Math.Floor(x))).ToArray();
        var order = Enumerable.Range(0, units.Count).OrderByDescending(i => ideal[i] - Math.Floor(ideal[i])).ThenBy(i => i).ToList();
        var missing = needed - counts.Sum();
        while (missing > 0)
        {
            var progressed = false;
            foreach (var i in order)
            {
                if (missing == 0)
                {
                    break;
                }

                if (counts[i] < remaining[i])
                {
                    counts[i]++;
                    missing--;
                    progressed = true;
                }
            }

            if (!progressed)
            {
                break;
            }
        }

        return counts;
    }

    /// <summary>
    /// The groups that each lose their own count: every layer when layerwise; when global, one pool of the
    /// layers that follow the run's rate and criterion, and apart from it each layer with its own rate or
    /// criterion (scores of different criteria cannot be ranked against each other).
    /// </summary>
    /// <remarks>
    /// With dependency groups (<see cref="MaskSet.UseGroups"/>), a group whose producing layers include a masked weight is
    /// one group of units (its rate and criterion those of its first masked producer, or the run's): each on its own when
    /// layerwise, pooled with the others that follow the run's rate and criterion when global; its producers' weights are
    /// then not pruned on their own (the layers outside every group, such as the output layer, are, by their own structure). <paramref name="only"/>: prune those groups, all of them, and nothing else.
    /// </remarks>
    internal static List<PruningUnit> Units(MaskSet masks, PruningScope scope, double rate, IPruningCriterion criterion, IReadOnlyList<DependencyGroup>? only)
    {
        var units = GroupUnits(masks, scope, rate, criterion, only, out var grouped);
        if (only is not null)
        {
            return units;
        }

        var scored = masks.Weights.Where(w => w.IsCounted && !grouped.Contains(w)).ToList();
        if (scope == PruningScope.Global)
        {
            foreach (var structured in new[] { false, true })
            {
                var pool = scored.Where(w => w.Rate is null && w.Criterion is null && w.IsStructured == structured).ToList();
                if (pool.Count > 0)
                {
                    units.Add(new PruningUnit(pool, rate, criterion, structured));
                }
            }

            units.AddRange(scored.Where(w => w.Rate is not null || w.Criterion is not null).Select(w => new PruningUnit([w], w.Rate ?? rate, w.Criterion ?? criterion, w.IsStructured)));
        }
        else
        {
            units.AddRange(scored.Select(w => new PruningUnit([w], w.Rate ?? rate, w.Criterion ?? criterion, w.IsStructured)));
        }

        return units;
    }

    // The groups pruned by unit, as pruning units, and the producers' weights they take over.
    private static List<PruningUnit> GroupUnits(MaskSet masks, PruningScope scope, double rate, IPruningCriterion criterion, IReadOnlyList<DependencyGroup>? only, out HashSet<PrunableWeight> grouped)
    {
        grouped = [];
        if (masks.Groups is null)
        {
            return [];
        }

        var pruned = new List<(DependencyGroup Group, PrunableWeight? Lead)>();
        foreach (var group in only ?? masks.Groups.Groups)
        {
            var producers = masks.Weights.Where(w => w.IsCounted && group.Layers.Contains(w.LayerName)).ToList();
            if (only is null && producers.Count == 0)
            {
                continue;
            }

            grouped.UnionWith(producers);
            pruned.Add((group, producers.FirstOrDefault()));
        }

        PruningUnit Unit(IReadOnlyList<DependencyGroup> groups, double unitRate, IPruningCriterion unitCriterion) =>
            new(groups.SelectMany(g => g.Units).SelectMany(u => u.Members).Select(m => m.Parameter).Distinct().Select(p => masks[p]).Where(w => w.IsCounted).ToList(), unitRate, unitCriterion, true, groups, scope);

        // The groups that follow the run's rate and criterion are pruned in one pass, so that a target of weights remaining
        // is shared between them (each group still loses its own count when layerwise); a group with its own rate or
        // criterion on its own.
        var units = new List<PruningUnit>();
        var pool = pruned.Where(g => g.Lead is not { Rate: not null } and not { Criterion: not null }).Select(g => g.Group).ToList();
        if (pool.Count > 0)
        {
            units.Add(Unit(pool, rate, criterion));
        }

        units.AddRange(pruned.Where(g => g.Lead is { Rate: not null } or { Criterion: not null }).Select(g => Unit([g.Group], g.Lead!.Rate ?? rate, g.Lead.Criterion ?? criterion)));
        return units;
    }

    // What a group of the event has left: its kept units (of its groups, or of its structured weights), or its entries.
    private static long UnitsRemaining(MaskSet masks, PruningUnit unit) =>
        unit.Groups is { } groups ? groups.Sum(masks.KeptUnits)
        : unit.Structured ? unit.Weights.Sum(w => w.UnitsRemaining)
        : unit.Weights.Sum(w => w.Remaining);

    /// <summary>
    /// The count one group loses on its own, in its own currency (units for a structured group, entries otherwise):
    /// <c>round(p * r)</c>, or fewer where that would go below <c>round(target * total)</c>; the target exactly when asked.
    /// </summary>
    private static long UnitRemovalCount(MaskSet masks, PruningUnit unit, PruningAmount amount)
    {
        if (unit.Groups is { } grouped)
        {
            // The most units the event may take (the weights-remaining target stops it earlier, in PruneGroups): each
            // group's round(p * r) (layerwise) or round(p * r) of the pool (global); every unit above the minimum for a target.
            var kept = grouped.Select(masks.KeptUnits).ToList();
            var above = grouped.Select((g, i) => (long)Math.Max(0, kept[i] - masks.MinimumOf(g))).Sum();
            var unitsByRate = unit.Scope == PruningScope.Global
                ? (long)Math.Round(unit.Rate * kept.Sum(), MidpointRounding.AwayFromZero)
                : kept.Sum(k => (long)Math.Round(unit.Rate * k, MidpointRounding.AwayFromZero));
            return Math.Min(above, amount.ExactTarget ? above : unitsByRate);
        }

        var remaining = UnitsRemaining(masks, unit);
        var total = unit.Structured ? unit.Weights.Sum(w => w.Units) : unit.Weights.Sum(w => w.Count);
        var target = (long)Math.Round(amount.TargetRemaining * total, MidpointRounding.AwayFromZero);
        var needed = Math.Max(0, remaining - target);
        var byRate = (long)Math.Round(unit.Rate * remaining, MidpointRounding.AwayFromZero);
        return amount.ExactTarget ? needed : Math.Min(byRate, needed);
    }

    /// <summary>
    /// Removes the <paramref name="count"/> lowest-scoring surviving units of structured weights (scored by the mean
    /// of their entries' scores, ties to the earlier unit), with the bias entries that follow them.
    /// </summary>
    private static List<(string Name, long Count)> PruneStructured(MaskSet masks, IReadOnlyList<PrunableWeight> weights, long count, IPruningCriterion criterion, PassScores scorer)
    {
        var before = masks.Weights.ToDictionary(w => w, w => w.Remaining);
        if (count > 0)
        {
            using var scope = NewDisposeScope();
            var scores = new List<Tensor>();
            var alive = new List<Tensor>();
            foreach (var w in weights)
            {
                var entries = scorer.Score(w, criterion).to(ScalarType.Float64);
                scores.Add(entries.reshape(w.Units, -1).mean([1L]));
                alive.Add(w.Mask.reshape(w.Units, -1).ne(0).any(1));
            }

            // Units still alive, as 1, and the lowest-scoring of them set to 0; then each weight's rows, and the bias
            // entries that follow them, multiplied by their unit's flag.
            var keep = cat(alive).to(ScalarType.Float32);
            keep.index_fill_(0, LowestAlive(cat(scores), keep.nonzero().reshape(-1), count, criterion, weights), 0);
            long offset = 0;
            foreach (var w in weights)
            {
                var rows = keep.narrow(0, offset, w.Units).to(w.Mask.dtype);
                w.Mask.reshape(w.Units, -1).mul_(rows.unsqueeze(1));
                foreach (var bias in masks.Weights.Where(b => ReferenceEquals(b.Follows, w)))
                {
                    bias.Mask.mul_(rows);
                }

                offset += w.Units;
            }
        }

        var removed = new List<(string Name, long Count)>();
        foreach (var w in masks.Weights.Where(w => weights.Contains(w) || (w.Follows is not null && weights.Contains(w.Follows))))
        {
            w.RefreshRemaining();
            removed.Add((w.Name, before[w] - w.Remaining));
        }

        return removed;
    }

    // Whether an event rounds each group's kept units (Layerwise, by rate: an exact target stops where the weights reach it).
    private static bool Rounded(MaskSet masks, PruningUnit unit, PruningAmount amount) =>
        masks.RoundTo > 1 && unit.Scope == PruningScope.Layerwise && !amount.ExactTarget;

    /// <summary>
    /// Removes at most <paramref name="count"/> kept units of <paramref name="groups"/>, the lowest-scoring first, each group
    /// keeping the mask set's minimum (and, layerwise, losing at most its own <c>round(p * r)</c>), and stops once the
    /// weights remaining reach the target (<paramref name="amount"/>, a fraction of the counted weights): the last unit
    /// taken may leave them up to one unit's weights below it.
    /// </summary>
    /// <remarks>
    /// A unit scores the mean, over its slices of counted weights (the layers' rows and input columns, not the coupled norm
    /// entries and biases, whose scale says nothing of the weights'), of the slice's mean criterion score, divided by the
    /// mean score of its group's kept units. Globally units go in score order; layerwise in order of their rank within
    /// their group as a fraction of the group's kept units, then score, so that a target stops every group at about the
    /// same fraction. Ties go to the earlier unit (groups in order, units in order).
    /// </remarks>
    private static List<(string Name, long Count)> PruneGroups(MaskSet masks, PruningUnit unit, IReadOnlyList<DependencyGroup> groups, long count, PruningAmount amount, PassScores scorer)
    {
        var before = unit.Weights.ToDictionary(w => w, w => w.Remaining);
        if (count > 0)
        {
            using var scope = NewDisposeScope();
            var entryScores = unit.Weights.ToDictionary(w => w.Name, w => scorer.Score(w, unit.Criterion).to(ScalarType.Float64));
            var candidates = new List<(int Group, CoupledUnit Unit, double Score, double Rank)>();
            var left = new int[groups.Count];
            var cap = new long[groups.Count];
            var rounded = Rounded(masks, unit, amount);
            for (var g = 0; g < groups.Count; g++)
            {
                var kept = groups[g].Units.Where(masks.IsKept).ToList();
                var scores = kept.Select(u => u.Members.Where(m => entryScores.ContainsKey(m.Parameter)).Average(m => m.Select(entryScores[m.Parameter]).mean().item<double>())).ToList();
                if (scores.Any(double.IsNaN))
                {
                    throw new InvalidOperationException($"The {unit.Criterion.Name} scores of {groups[g].Label} contain NaN: the weights have diverged, so no pruning order exists. Lower the learning rate.");
                }

                var mean = scores.Count > 0 ? scores.Average() : 0;
                var normalized = scores.Select(x => mean > 0 ? x / mean : x).ToList();
                var ranks = Enumerable.Range(0, kept.Count).OrderBy(i => normalized[i]).Select((i, r) => (i, r)).ToDictionary(p => p.i, p => (double)(p.r + 1) / kept.Count);
                candidates.AddRange(kept.Select((u, i) => (g, u, normalized[i], ranks[i])));
                left[g] = kept.Count;
                cap[g] = amount.ExactTarget || unit.Scope == PruningScope.Global ? long.MaxValue : (long)Math.Round(unit.Rate * kept.Count, MidpointRounding.AwayFromZero);
                if (rounded && kept.Count >= masks.RoundTo)
                {
                    // Torch-Pruning's round_to: the kept units rounded down to a multiple, never below the group's minimum.
                    var keep = Math.Max((kept.Count - cap[g]) / masks.RoundTo * masks.RoundTo, Math.Min(kept.Count, masks.MinimumOf(groups[g])));
                    cap[g] = cap[g] == 0 ? 0 : kept.Count - Math.Max(keep, masks.RoundTo);
                }
            }

            // Rounded, each group takes its own share: the weights' target and the units the rate gives no longer stop the event.
            if (rounded)
            {
                count = cap.Sum();
            }

            var floor = rounded ? long.MinValue : (long)Math.Round(amount.TargetRemaining * masks.Count, MidpointRounding.AwayFromZero);
            var order = unit.Scope == PruningScope.Global ? candidates.OrderBy(c => c.Score) : candidates.OrderBy(c => c.Rank).ThenBy(c => c.Score);
            var removed = 0L;
            foreach (var candidate in order)
            {
                if (removed == count || masks.Remaining <= floor)
                {
                    break;
                }

                if (left[candidate.Group] > masks.MinimumOf(groups[candidate.Group]) && cap[candidate.Group] > 0)
                {
                    left[candidate.Group]--;
                    cap[candidate.Group]--;
                    masks.ZeroSlices(candidate.Unit);
                    foreach (var parameter in candidate.Unit.Members.Select(m => m.Parameter).Distinct())
                    {
                        masks[parameter].RefreshRemaining();
                    }

                    removed++;
                }
            }
        }

        masks.RefreshRemaining();
        var result = new List<(string Name, long Count)>();
        foreach (var w in unit.Weights)
        {
            result.Add((w.Name, before[w] - w.Remaining));
        }

        return result;
    }

    /// <summary>
    /// The <paramref name="count"/> entries of <paramref name="alive"/> (indices into <paramref name="scores"/>) whose
    /// scores are lowest, ties to the earlier (a stable sort); NaN scores are refused, naming the weights.
    /// </summary>
    private static Tensor LowestAlive(Tensor scores, Tensor alive, long count, IPruningCriterion criterion, IReadOnlyList<PrunableWeight> weights)
    {
        var aliveScores = scores.index_select(0, alive);
        if (aliveScores.isnan().any().item<bool>())
        {
            throw new InvalidOperationException($"The {criterion.Name} scores of {string.Join(", ", weights.Select(w => w.Name))} contain NaN: the weights have diverged, so no pruning order exists. Lower the learning rate.");
        }

        var (_, order) = aliveScores.sort(dim: 0, descending: false, stable: true);
        return alive.index_select(0, order.narrow(0, 0, Math.Min(count, aliveScores.shape[0])));
    }

    private static IEnumerable<(string Name, long Count)> PruneUnit(MaskSet masks, IReadOnlyList<PrunableWeight> weights, long count, IPruningCriterion criterion, PassScores scorer)
    {
        if (count == 0)
        {
            return weights.Select(w => (w.Name, 0L)).ToList();
        }

        using var scope = NewDisposeScope();
        var flatMask = cat(weights.Select(w => w.Mask.reshape(-1)).ToList());
        var flatScores = cat(weights.Select(w => scorer.Score(w, criterion).to(ScalarType.Float64).reshape(-1)).ToList());
        flatMask.index_fill_(0, LowestAlive(flatScores, flatMask.nonzero().reshape(-1), count, criterion, weights), 0);

        var result = new List<(string, long)>();
        long offset = 0;
        foreach (var weight in weights)
        {
            var before = weight.Remaining;
            weight.Mask.copy_(flatMask.narrow(0, offset, weight.Count).view(weight.Mask.shape));
            weight.RefreshRemaining();
            result.Add((weight.Name, before - weight.Remaining));
            offset += weight.Count;
        }

        return result;
    }
}

/// <summary>Weights that lose one shared count at a pruning event, ranked by one criterion.</summary>
/// <param name="Weights">The weights ranked together (for a group of units: the counted weights its units slice).</param>
/// <param name="Rate">Their rate.</param>
/// <param name="Criterion">Their criterion.</param>
/// <param name="Structured">Whether they lose whole units.</param>
/// <param name="Groups">Dependency groups whose units the event removes (their members are <paramref name="Weights"/>); null for weights pruned on their own.</param>
/// <param name="Scope">For groups: whether each group loses its own count (Layerwise) or they share one (Global).</param>
internal sealed record PruningUnit(IReadOnlyList<PrunableWeight> Weights, double Rate, IPruningCriterion Criterion, bool Structured = false, IReadOnlyList<DependencyGroup>? Groups = null, PruningScope Scope = PruningScope.Layerwise);

/// <summary>
/// How one group's count is spread over the scoring passes of an event: all of it in the first pass for a criterion
/// that scores once; otherwise an exponential decay of what remains, from <paramref name="Remaining"/> towards
/// <c>Remaining - Count</c> (linearly when that is 0, which no power reaches).
/// </summary>
internal readonly record struct PassPlan(long Remaining, long Count, int Iterations)
{
    /// <summary>What the group has lost after <paramref name="pass"/> passes (0 before the first).</summary>
    public long RemovedAfter(int pass)
    {
        if (pass <= 0 || Count == 0)
        {
            return 0;
        }

        if (pass >= Iterations)
        {
            return Count;
        }

        var left = Remaining - Count;
        var fraction = (double)pass / Iterations;
        var keep = left > 0 ? Remaining * Math.Pow((double)left / Remaining, fraction) : Remaining * (1 - fraction);
        return Math.Clamp(Remaining - (long)Math.Round(keep, MidpointRounding.AwayFromZero), 0, Count);
    }
}

/// <summary>
/// The scores of one scoring pass. A plain criterion scores each weight when asked, as it always has (the same calls
/// in the same order, so a seeded Random criterion draws the same numbers); a context criterion scores every weight it
/// ranks at its first request, once per pass, and the scores live until the pass ends.
/// </summary>
internal sealed class PassScores(PruningContext context, IReadOnlyList<PruningUnit> units) : IDisposable
{
    private readonly Dictionary<IContextCriterion, Dictionary<PrunableWeight, Tensor>> computed = [];

    /// <summary>The scores of <paramref name="weight"/> by <paramref name="criterion"/>; the caller must not dispose them.</summary>
    public Tensor Score(PrunableWeight weight, IPruningCriterion criterion)
    {
        if (criterion is not IContextCriterion contextual)
        {
            return criterion.Score(weight.Parameter.detach(), context.Masks.InitialWeight(weight), context.Random);
        }

        if (!computed.TryGetValue(contextual, out var scores))
        {
            var ranked = units.Where(u => ReferenceEquals(u.Criterion, criterion)).SelectMany(u => u.Weights).Distinct().ToList();
            var list = contextual.Score(context, ranked);
            if (list.Count != ranked.Count)
            {
                throw new InvalidOperationException($"{criterion.Name} returned {list.Count} score tensors for {ranked.Count} weights; a criterion scores every weight it is given, in order.");
            }

            scores = ranked.Select((w, i) => (w, list[i].DetachFromDisposeScope())).ToDictionary(p => p.w, p => p.Item2);
            computed[contextual] = scores;
        }

        return scores[weight];
    }

    public void Dispose()
    {
        foreach (var tensor in computed.Values.SelectMany(s => s.Values))
        {
            tensor.Dispose();
        }
    }
}
