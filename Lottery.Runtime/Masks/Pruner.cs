using Lottery.Criteria;
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
    public static PruningEvent Prune(MaskSet masks, PruningAmount amount, PruningScope scope, IPruningCriterion criterion, Generator random)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(criterion);
        if (!(amount.Rate > 0 && amount.Rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount.Rate, "The rate is the fraction of remaining weights removed at each pruning event and must be in (0, 1).");
        }

        if (!(amount.TargetRemaining >= 0 && amount.TargetRemaining <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount.TargetRemaining, "The target is a fraction of all prunable weights and must be in [0, 1].");
        }

        var before = masks.WeightsRemaining;
        var units = Units(masks, scope, amount.Rate, criterion);
        var counts = Counts(units, amount);
        var removed = new Dictionary<string, long>();
        using (var noGrad = no_grad())
        {
            for (var u = 0; u < units.Count; u++)
            {
                var pruned = units[u].Structured
                    ? PruneStructured(masks, units[u].Weights, counts[u], units[u].Criterion, random)
                    : PruneUnit(masks, units[u].Weights, counts[u], units[u].Criterion, random);
                foreach (var (name, count) in pruned)
                {
                    removed[name] = count;
                }
            }
        }

        masks.ApplyToWeights();
        return new PruningEvent(before, masks.WeightsRemaining, removed);
    }

    /// <summary>
    /// The count each group loses: the unstructured groups share their removal as <see cref="RemovalCounts"/> decides
    /// (over their own entries), each structured group counts its units on its own (<see cref="UnitRemovalCount"/>).
    /// </summary>
    private static long[] Counts(IReadOnlyList<PruningUnit> units, PruningAmount amount)
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
            counts[i] = UnitRemovalCount(units[i], amount);
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
    internal static List<PruningUnit> Units(MaskSet masks, PruningScope scope, double rate, IPruningCriterion criterion)
    {
        var units = new List<PruningUnit>();
        var scored = masks.Weights.Where(w => w.Follows is null).ToList();
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

    /// <summary>
    /// The count one group loses on its own, in its own currency (units for a structured group, entries otherwise):
    /// <c>round(p * r)</c>, or fewer where that would go below <c>round(target * total)</c>; the target exactly when asked.
    /// </summary>
    private static long UnitRemovalCount(PruningUnit unit, PruningAmount amount)
    {
        var remaining = unit.Structured ? unit.Weights.Sum(w => w.UnitsRemaining) : unit.Weights.Sum(w => w.Remaining);
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
    private static List<(string Name, long Count)> PruneStructured(MaskSet masks, IReadOnlyList<PrunableWeight> weights, long count, IPruningCriterion criterion, Generator random)
    {
        var before = masks.Weights.ToDictionary(w => w, w => w.Remaining);
        if (count > 0)
        {
            using var scope = NewDisposeScope();
            var scores = new List<Tensor>();
            var alive = new List<Tensor>();
            foreach (var w in weights)
            {
                var entries = criterion.Score(w.Parameter.detach(), masks.InitialWeight(w), random).to(ScalarType.Float64);
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

    private static IEnumerable<(string Name, long Count)> PruneUnit(MaskSet masks, IReadOnlyList<PrunableWeight> weights, long count, IPruningCriterion criterion, Generator random)
    {
        if (count == 0)
        {
            return weights.Select(w => (w.Name, 0L)).ToList();
        }

        using var scope = NewDisposeScope();
        var flatMask = cat(weights.Select(w => w.Mask.reshape(-1)).ToList());
        var flatScores = cat(weights.Select(w => criterion.Score(w.Parameter.detach(), masks.InitialWeight(w), random).to(ScalarType.Float64).reshape(-1)).ToList());
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
internal sealed record PruningUnit(IReadOnlyList<PrunableWeight> Weights, double Rate, IPruningCriterion Criterion, bool Structured = false);
