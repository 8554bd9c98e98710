using System.Globalization;
using System.Text;

namespace Lottery.Groups;

/// <summary>
/// One slice of a parameter that belongs to a unit: the entries at <paramref name="Indices"/> along
/// <paramref name="Dimension"/> (0: a layer's output units, its rows; 1: a layer's input channels or features, its columns).
/// </summary>
/// <param name="Parameter">The parameter's full name, as <c>named_parameters()</c> gives it (<c>blocks.1.norm2.weight</c>).</param>
/// <param name="Dimension">The dimension the indices run along.</param>
/// <param name="Indices">The indices along it.</param>
public sealed record GroupMember(string Parameter, int Dimension, IReadOnlyList<long> Indices)
{
    /// <summary>Equal parameter, dimension and indices.</summary>
    public bool Equals(GroupMember? other) =>
        other is not null && Parameter == other.Parameter && Dimension == other.Dimension && Indices.SequenceEqual(other.Indices);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Parameter, Dimension, Indices.Count);

    /// <summary>For people: <c>blocks.2.conv1.weight[:, 5]</c>, <c>head.weight[:, 64..127]</c>.</summary>
    public override string ToString()
    {
        var indices = Indices.Count == 1
            ? Indices[0].ToString(CultureInfo.InvariantCulture)
            : Indices.Zip(Indices.Skip(1)).All(p => p.Second == p.First + 1)
                ? $"{Indices[0]}..{Indices[^1]}"
                : string.Join(",", Indices);
        return Dimension == 0 ? $"{Parameter}[{indices}]" : $"{Parameter}[:, {indices}]";
    }
}

/// <summary>
/// One unit that can be pruned: a channel (or neuron) with every slice that must go with it, in every layer it couples:
/// the producing layers' rows and biases, the norms' entries, depthwise filters, and the consuming layers' input columns,
/// across residual adds.
/// </summary>
/// <param name="Members">Its slices.</param>
public sealed record CoupledUnit(IReadOnlyList<GroupMember> Members)
{
    /// <summary>Equal members, in order.</summary>
    public bool Equals(CoupledUnit? other) => other is not null && Members.SequenceEqual(other.Members);

    /// <inheritdoc/>
    public override int GetHashCode() => Members.Count;
}

/// <summary>
/// Layers whose units are pruned together: every producing layer of the group has the same number of units, and unit
/// k of each is one <see cref="CoupledUnit"/> (a residual stage's convolutions share their channels through the adds).
/// </summary>
/// <param name="Layers">The producing layers, by name.</param>
/// <param name="Units">The units.</param>
public sealed record DependencyGroup(IReadOnlyList<string> Layers, IReadOnlyList<CoupledUnit> Units)
{
    /// <summary>Equal layers and units.</summary>
    public bool Equals(DependencyGroup? other) => other is not null && Layers.SequenceEqual(other.Layers) && Units.SequenceEqual(other.Units);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Layers.Count, Units.Count);

    /// <summary>The group in a few lines: its layers, its units, and the slices of its first unit.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{string.Join(" + ", Layers)}: {Units.Count} units");
        text.Append(CultureInfo.InvariantCulture, $"; unit 0 is {string.Join(", ", Units[0].Members)}");
        return text.ToString();
    }
}
