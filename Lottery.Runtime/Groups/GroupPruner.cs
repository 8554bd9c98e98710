using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.Groups;

/// <summary>
/// Prunes whole units of dependency groups: a unit's importance is the mean, over its slices, of each slice's L2 norm
/// (as Torch-Pruning's group magnitude importance with mean reduction), divided by the mean importance of its group's
/// kept units; the least important go, and every slice of a unit that goes is zeroed in its mask. No group ever loses all its units: each keeps at least a minimum, so that no
/// scope can cut the network apart.
/// </summary>
public static class GroupPruner
{
    /// <summary>
    /// Masks every parameter the groups' units slice that <paramref name="masks"/> does not mask yet (the norms' weights and
    /// biases, the layers' biases), so that a unit's every slice can be zeroed.
    /// </summary>
    public static void AttachMembers(MaskSet masks, DependencyGroups groups)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(groups);
        var masked = masks.Weights.Select(w => w.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var parameter in groups.Groups.SelectMany(g => g.Units).SelectMany(u => u.Members).Select(m => m.Parameter).Distinct())
        {
            if (masked.Add(parameter))
            {
                masks.Include(parameter, "the dependency groups");
            }
        }
    }

    /// <summary>Whether any entry of <paramref name="unit"/>'s first slice (its first layer's row) is still kept.</summary>
    public static bool IsKept(MaskSet masks, CoupledUnit unit)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(unit);
        var first = unit.Members[0];
        using var scope = NewDisposeScope();
        return Slice(masks[first.Parameter].Mask, first).count_nonzero().item<long>() > 0;
    }

    /// <summary>The unit's importance: the mean over its slices of each slice's L2 norm (pruned entries counting zero).</summary>
    public static double Importance(MaskSet masks, CoupledUnit unit)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(unit);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return unit.Members.Average(member =>
        {
            var weight = masks[member.Parameter];
            return Slice(weight.Parameter * weight.Mask, member).norm().item<float>();
        });
    }

    /// <summary>Zeroes every slice of <paramref name="unit"/> in its mask and in the weights.</summary>
    public static void Remove(MaskSet masks, CoupledUnit unit)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(unit);
        using var scope = NewDisposeScope();
        using (var noGrad = no_grad())
        {
            foreach (var member in unit.Members)
            {
                masks[member.Parameter].Mask.index_fill_(member.Dimension, tensor(member.Indices.ToArray()), 0);
            }
        }

        masks.ApplyToWeights();
        masks.RefreshRemaining();
    }

    /// <summary>
    /// Removes the least important of the kept units: <paramref name="fraction"/> of each group's (Layerwise) or of all
    /// groups' kept units together (Global), leaving each group at least <paramref name="minimumUnits"/>. Returns the units
    /// removed.
    /// </summary>
    /// <exception cref="ArgumentException">The fraction is outside (0, 1), or the minimum is below 1 or above a group's units.</exception>
    public static IReadOnlyList<CoupledUnit> Prune(MaskSet masks, DependencyGroups groups, double fraction, PruningScope scope, int minimumUnits = 1)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(groups);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentException($"The fraction of units to remove, {fraction}, is outside (0, 1); give for example 0.2.", nameof(fraction));
        }

        var smallest = groups.Groups.MinBy(g => g.Units.Count);
        if (smallest is not null && (minimumUnits < 1 || minimumUnits > smallest.Units.Count))
        {
            throw new ArgumentException(
                $"A minimum of {minimumUnits} units per group cannot be kept: {string.Join(" + ", smallest.Layers)} has {smallest.Units.Count}. Give a minimum from 1 to {smallest.Units.Count}.",
                nameof(minimumUnits));
        }

        // Each group's scores divided by their mean, as Torch-Pruning's mean normalizer does: groups of different widths,
        // fan-ins and member counts compare on one scale, so that Global scope does not strip the groups whose units simply
        // have fewer or smaller slices.
        var kept = groups.Groups.Select(g =>
        {
            var scored = g.Units.Where(u => IsKept(masks, u)).Select(u => (Group: g, Unit: u, Score: Importance(masks, u))).ToList();
            var mean = scored.Count > 0 ? scored.Average(u => u.Score) : 0;
            return scored.Select(u => (u.Group, u.Unit, Score: mean > 0 ? u.Score / mean : u.Score)).ToList();
        }).ToList();
        var removed = new List<CoupledUnit>();
        if (scope == PruningScope.Layerwise)
        {
            foreach (var units in kept)
            {
                var count = Math.Min((int)Math.Round(fraction * units.Count), units.Count - minimumUnits);
                removed.AddRange(units.OrderBy(u => u.Score).Take(Math.Max(0, count)).Select(u => u.Unit));
            }
        }
        else
        {
            var left = kept.Where(units => units.Count > 0).ToDictionary(units => units[0].Group, units => units.Count);
            var budget = (int)Math.Round(fraction * kept.Sum(u => u.Count));
            foreach (var unit in kept.SelectMany(u => u).OrderBy(u => u.Score))
            {
                if (removed.Count == budget)
                {
                    break;
                }

                if (left[unit.Group] > minimumUnits)
                {
                    left[unit.Group]--;
                    removed.Add(unit.Unit);
                }
            }
        }

        foreach (var unit in removed)
        {
            Remove(masks, unit);
        }

        return removed;
    }

    private static Tensor Slice(Tensor tensor, GroupMember member) => tensor.index_select(member.Dimension, TorchSharp.torch.tensor(member.Indices.ToArray()));
}
