using Lottery.Groups;
using static TorchSharp.torch;

namespace Lottery.Masks;

public sealed partial class MaskSet
{
    /// <summary>The dependency groups whose units are pruned (<see cref="UseGroups"/>); null: each layer by its own structure.</summary>
    public DependencyGroups? Groups { get; private set; }

    /// <summary>The units each group keeps at least, whatever the scope and the rate (<see cref="UseGroups"/>).</summary>
    public int MinimumUnits { get; private set; } = 1;

    /// <summary>The fraction of its units each group keeps at least, rounded up (<see cref="UseGroups"/>); 0: none beyond <see cref="MinimumUnits"/>.</summary>
    public double MinimumFraction { get; private set; }

    /// <summary>Each group keeps a multiple of this many units after an event by rate (Layerwise; <see cref="UseGroups"/>); 1: any number.</summary>
    public int RoundTo { get; private set; } = 1;

    /// <summary>The units <paramref name="group"/> keeps at least: <see cref="MinimumUnits"/>, or the <see cref="MinimumFraction"/> of its units when that is more.</summary>
    public int MinimumOf(DependencyGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return Math.Max(MinimumUnits, (int)Math.Ceiling((MinimumFraction * group.Units.Count) - 1e-9));
    }

    /// <summary>
    /// Prunes by <paramref name="groups"/> from now on: a group whose producing layers include a masked one loses whole
    /// units (channels, neurons) instead of single weights, each unit with every slice of it (the layers' rows and biases, the norms' entries, the consumers' input columns, every branch of a
    /// residual add), and keeps at least <paramref name="minimumUnits"/> units, or <paramref name="minimumFraction"/> of its
    /// units (rounded up) when that is more; with <paramref name="roundTo"/> above 1, an event by rate (Layerwise) leaves each
    /// group of at least that many units a multiple of it (its kept units rounded down, Torch-Pruning's <c>round_to</c>, never
    /// below the minimum), so that compacted layers suit vectorized kernels. The parameters the groups slice that are not
    /// masked yet are masked here, coupled (<see cref="PrunableWeight.IsCoupled"/>), and a unit already pruned in its
    /// first slice loses the rest of its slices now.
    /// </summary>
    /// <remarks>
    /// At a pruning event (<see cref="Pruner"/>) a unit's score is the mean, over its slices of counted weights (the layers'
    /// rows and input columns; not the coupled entries), of the slice's mean criterion score; a group loses <c>round(p * r)</c> of its <c>r</c> kept units (Layerwise), or the groups pool their
    /// units (Global) after each group's scores are divided by their mean, as Torch-Pruning's mean normalizer does, so
    /// that groups of different widths and fan-ins compare on one scale. A target counts weights remaining, as everywhere: an
    /// event stops once the weights reach it.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The groups name a parameter the model does not have (they were traced on another model),
    /// <paramref name="minimumUnits"/> is below 1 or above a group's units, <paramref name="minimumFraction"/> is outside [0, 1), or
    /// <paramref name="roundTo"/> is below 1.
    /// </exception>
    public void UseGroups(DependencyGroups groups, int minimumUnits = 1, double minimumFraction = 0, int roundTo = 1)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (roundTo < 1)
        {
            throw new ArgumentException($"Rounding each group's units to multiples of {roundTo} is not possible; give 1 (no rounding) or more, for example 8.", nameof(roundTo));
        }

        if (!(minimumFraction >= 0 && minimumFraction < 1))
        {
            throw new ArgumentException($"The minimum fraction of each group's units, {minimumFraction}, is outside [0, 1); give for example 0.1 to keep a tenth of every group.", nameof(minimumFraction));
        }

        var smallest = groups.Groups.MinBy(g => g.Units.Count);
        if (minimumUnits < 1 || (smallest is not null && minimumUnits > smallest.Units.Count))
        {
            throw new ArgumentException(
                $"A minimum of {minimumUnits} units per group cannot be kept{(smallest is null ? string.Empty : $": {smallest.Label} has {smallest.Units.Count}")}. Give a minimum from 1 to {smallest?.Units.Count ?? 1}.",
                nameof(minimumUnits));
        }

        var parameters = Model.named_parameters().Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        var members = groups.Groups.SelectMany(g => g.Units).SelectMany(u => u.Members).Select(m => m.Parameter).Distinct().ToList();
        var missing = members.Where(p => !parameters.Contains(p)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException(
                $"The dependency groups slice {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : string.Empty)}, which {Model.GetType().Name} has no parameter of: trace the groups on this model's class.",
                nameof(groups));
        }

        var masked = weights.Select(w => w.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var parameter in members.Where(masked.Add))
        {
            Include(parameter, "the dependency groups");
        }

        Groups = groups;
        MinimumUnits = minimumUnits;
        MinimumFraction = minimumFraction;
        RoundTo = roundTo;
        CoupleUnits();
    }

    /// <summary>Whether any entry of <paramref name="unit"/>'s first slice (its first producing layer's row) is kept.</summary>
    public bool IsKept(CoupledUnit unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var first = unit.Members[0];
        using var scope = NewDisposeScope();
        return first.Select(this[first.Parameter].Mask).count_nonzero().item<long>() > 0;
    }

    /// <summary>The kept units of <paramref name="group"/>.</summary>
    public int KeptUnits(DependencyGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.Units.Count(IsKept);
    }

    /// <summary>Zeroes every slice of <paramref name="unit"/> in its masks and in the weights.</summary>
    public void Remove(CoupledUnit unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ZeroSlices(unit);
        ApplyToWeights();
        RefreshRemaining();
    }

    /// <summary>
    /// The groups, one per line, each with its kept units (<c>layer1.0.conv2 + layer1.1.conv2 + conv1: 52 of 64 units
    /// kept</c>); an empty string when no groups are used.
    /// </summary>
    public string DescribeGroups()
    {
        if (Groups is null)
        {
            return string.Empty;
        }

        return string.Concat(Groups.Groups.Select(g => g.Describe(KeptUnits(g)) + Environment.NewLine));
    }

    /// <summary>Zeroes the mask entries of every slice of <paramref name="unit"/> (the weights are left to the caller).</summary>
    internal void ZeroSlices(CoupledUnit unit)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var member in unit.Members)
        {
            member.Zero(this[member.Parameter].Mask);
        }
    }

    // A unit whose first slice is gone (masks loaded from a file or another run, or pruned before the groups were used)
    // loses its other slices too, so that no norm entry or bias brings the channel back.
    private void CoupleUnits()
    {
        foreach (var unit in Groups!.Groups.SelectMany(g => g.Units).Where(u => !IsKept(u)))
        {
            ZeroSlices(unit);
        }

        ApplyToWeights();
        RefreshRemaining();
    }
}
