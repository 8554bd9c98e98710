using System.Globalization;

namespace Lottery.Groups;

/// <summary>
/// One slice of a parameter that belongs to a unit: the entries at <paramref name="Indices"/> along
/// <paramref name="Dimension"/> (0: a layer's output units, its rows; 1: a layer's input channels or features, its columns),
/// in every row, or only in <paramref name="Rows"/> when given (a grouped convolution's input channel is read by the rows of
/// its group alone).
/// </summary>
/// <param name="Parameter">The parameter's full name, as <c>named_parameters()</c> gives it (<c>blocks.1.norm2.weight</c>).</param>
/// <param name="Dimension">The dimension the indices run along.</param>
/// <param name="Indices">The indices along it.</param>
/// <param name="Rows">With <paramref name="Dimension"/> 1: the rows the slice is limited to; null: every row.</param>
public sealed record GroupMember(string Parameter, int Dimension, IReadOnlyList<long> Indices, IReadOnlyList<long>? Rows = null)
{
    /// <summary>Equal parameter, dimension, indices and rows.</summary>
    public bool Equals(GroupMember? other) =>
        other is not null && Parameter == other.Parameter && Dimension == other.Dimension && Indices.SequenceEqual(other.Indices)
        && (Rows is null ? other.Rows is null : other.Rows is not null && Rows.SequenceEqual(other.Rows));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Parameter, Dimension, Indices.Count, Rows?.Count);

    /// <summary>For people: <c>blocks.2.conv1.weight[:, 5]</c>, <c>head.weight[:, 64..127]</c>, <c>mix.weight[4..7, 1]</c>.</summary>
    public override string ToString()
    {
        var indices = Range(Indices);
        return Dimension == 0 ? $"{Parameter}[{indices}]" : $"{Parameter}[{(Rows is null ? ":" : Range(Rows))}, {indices}]";
    }

    /// <summary>The slice of <paramref name="tensor"/> (the parameter, its mask, or its scores: any tensor of its shape) this member names, as a new tensor.</summary>
    public TorchSharp.torch.Tensor Select(TorchSharp.torch.Tensor tensor)
    {
        var selected = tensor.index_select(Dimension, TorchSharp.torch.tensor(Indices.ToArray()));
        return Rows is null ? selected : selected.index_select(0, TorchSharp.torch.tensor(Rows.ToArray()));
    }

    /// <summary>Sets the slice this member names to zero in <paramref name="mask"/> (any tensor of the parameter's shape), in place.</summary>
    public void Zero(TorchSharp.torch.Tensor mask)
    {
        using var indices = TorchSharp.torch.tensor(Indices.ToArray());
        if (Rows is null)
        {
            mask.index_fill_(Dimension, indices, 0);
            return;
        }

        foreach (var row in Rows)
        {
            using var view = mask[row];
            view.index_fill_(Dimension - 1, indices, 0);
        }
    }

    private static string Range(IReadOnlyList<long> values) =>
        values.Count == 1
            ? values[0].ToString(CultureInfo.InvariantCulture)
            : values.Zip(values.Skip(1)).All(p => p.Second == p.First + 1)
                ? $"{values[0]}..{values[^1]}"
                : string.Join(",", values);
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

    /// <summary>What its units are, for people (<c>heads</c>, <c>feed-forward neurons</c>); null for the channels and neurons a trace finds.</summary>
    public string? What { get; init; }

    /// <summary>Its layers, and what its units are when that is not channels or neurons: <c>encoder (heads)</c>.</summary>
    public string Label => string.Join(" + ", Layers) + (What is null ? string.Empty : $" ({What})");

    /// <summary>
    /// The group in one line: its layers, its units (with how many are <paramref name="kept"/>, when given), and the slices
    /// of its first unit.
    /// </summary>
    public string Describe(int? kept = null)
    {
        var units = kept is { } k ? $"{k} of {Units.Count} units kept" : $"{Units.Count} units";
        return $"{Label}: {units}; unit 0 is {string.Join(", ", Units[0].Members)}";
    }
}
