using Lottery.Criteria;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.Groups;

/// <summary>
/// Prunes the units of dependency groups once, outside any run: the masks use the groups (<see cref="MaskSet.UseGroups"/>),
/// and one event of the <see cref="Pruner"/> removes the least important kept units of every group, each unit with every
/// slice of it. A unit's importance is the mean, over its slices of the layers' weights (rows and input columns), of the
/// slice's mean criterion score (Magnitude unless given), divided by the mean importance of its group's kept units (Torch-Pruning's mean normalizer). No group ever
/// loses all its units: each keeps the masks' minimum, so that no scope can cut the network apart.
/// </summary>
public static class GroupPruner
{
    /// <summary>
    /// Removes <paramref name="fraction"/> of the kept units of each group (Layerwise) or of all groups together (Global),
    /// leaving each group at least <paramref name="minimumUnits"/> (or <paramref name="minimumFraction"/> of its units, rounded
    /// up, when that is more), and, Layerwise with <paramref name="roundTo"/> above 1, a multiple of it; returns the units removed.
    /// </summary>
    /// <exception cref="ArgumentException">The fraction is outside (0, 1), the minimum is below 1 or above a group's units, or the minimum fraction is outside [0, 1).</exception>
    public static IReadOnlyList<CoupledUnit> Prune(MaskSet masks, DependencyGroups groups, double fraction, PruningScope scope, int minimumUnits = 1, IPruningCriterion? criterion = null, double minimumFraction = 0, int roundTo = 1)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(groups);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentException($"The fraction of units to remove, {fraction}, is outside (0, 1); give for example 0.2.", nameof(fraction));
        }

        masks.UseGroups(groups, minimumUnits, minimumFraction, roundTo);
        var kept = groups.Groups.SelectMany(g => g.Units).Where(masks.IsKept).ToList();
        using var random = new Generator(0UL);
        Pruner.PruneGroups(new PruningContext(masks, random), PruningAmount.ByRate(fraction), scope, criterion ?? PruningCriteria.Magnitude, groups.Groups);
        return kept.Where(u => !masks.IsKept(u)).ToList();
    }
}
