using Lottery.Groups;
using Lottery.Masks;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Lottery.Tests.Groups;

/// <summary>
/// A model's layers with the pruned units of its groups cut out by hand: each layer's kept rows and the kept columns of
/// the units it reads, for writing the model's forward again with TorchSharp's functions on the smaller weights.
/// </summary>
internal sealed class CutByHand(nn.Module model, MaskSet masks, DependencyGroups groups)
{
    private readonly Dictionary<string, Tensor> parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
    private readonly Dictionary<string, Tensor> buffers = model.named_buffers().ToDictionary(b => b.name, b => b.buffer);

    /// <summary>The kept units of the group <paramref name="layer"/> produces, in order.</summary>
    public long[] Kept(string layer)
    {
        var group = groups.Groups.Single(g => g.Layers.Contains(layer));
        return group.Units.Select((u, i) => (u, (long)i)).Where(p => masks.IsKept(p.u)).Select(p => p.Item2).ToArray();
    }

    /// <summary>A convolution with only its kept rows and, of its input channels, only <paramref name="columns"/> (null: all; depthwise: sliced by rows alone).</summary>
    public Tensor Conv(Tensor x, string layer, long[] rows, long[]? columns, long stride, long padding, bool depthwise = false)
    {
        var weight = parameters[$"{layer}.weight"].index_select(0, tensor(rows));
        if (columns is not null && !depthwise)
        {
            weight = weight.index_select(1, tensor(columns));
        }

        var bias = parameters.TryGetValue($"{layer}.bias", out var b) ? b.index_select(0, tensor(rows)) : null;
        return F.conv2d(x, weight, bias, strides: [stride, stride], padding: [padding, padding], groups: depthwise ? rows.Length : 1);
    }

    /// <summary>A batch norm (eval) with only its kept entries.</summary>
    public Tensor Norm(Tensor x, string norm, long[] rows)
    {
        var index = tensor(rows);
        return F.batch_norm(x, buffers[$"{norm}.running_mean"].index_select(0, index), buffers[$"{norm}.running_var"].index_select(0, index), parameters[$"{norm}.weight"].index_select(0, index), parameters[$"{norm}.bias"].index_select(0, index), training: false, eps: 1e-5);
    }

    /// <summary>A Linear layer reading only <paramref name="columns"/> of its inputs.</summary>
    public Tensor Linear(Tensor x, string layer, long[] columns) =>
        F.linear(x, parameters[$"{layer}.weight"].index_select(1, tensor(columns)), parameters[$"{layer}.bias"]);

    /// <summary>
    /// Traces <paramref name="model"/> on an input of <paramref name="example"/>'s shape, masks every layer, warms its norms on
    /// inputs of <paramref name="warm"/>'s shape, removes the unit <paramref name="pick"/> chooses in each group (by the group
    /// and its index), and asserts that exactly their slices are zero.
    /// </summary>
    public static (MaskSet Masks, DependencyGroups Groups) RemoveOneUnitPerGroup(nn.Module<Tensor, Tensor> model, long[] example, long[] warm, Func<DependencyGroup, int, CoupledUnit> pick)
    {
        using var input = randn(example);
        var groups = DependencyGroups.Trace(model, input);
        var masks = MaskSet.Attach(model, new MaskOptions());
        masks.UseGroups(groups);
        WarmNorms(model, warm);
        var removed = groups.Groups.Select((g, i) => pick(g, i)).ToList();
        removed.ForEach(masks.Remove);
        AssertZeroesExactly(masks, removed);
        return (masks, groups);
    }

    /// <summary>Asserts that the masks zero exactly the slices of <paramref name="removed"/>, nothing else.</summary>
    public static void AssertZeroesExactly(MaskSet masks, IEnumerable<CoupledUnit> removed)
    {
        var expectedZeros = removed.SelectMany(u => u.Members).GroupBy(m => m.Parameter).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var weight in masks.Weights)
        {
            using var expected = ones_like(weight.Mask);
            foreach (var member in expectedZeros.GetValueOrDefault(weight.Name, []))
            {
                member.Zero(expected);
            }

            Assert.True(expected.eq(weight.Mask).all().item<bool>(), $"{weight.Name}'s mask zeroes other entries than its units' slices.");
        }
    }

    /// <summary>Asserts that every slice of every pruned unit of <paramref name="groups"/> is zero in the weights themselves.</summary>
    public static void AssertPrunedUnitsZero(MaskSet masks, DependencyGroups groups)
    {
        foreach (var unit in groups.Groups.SelectMany(g => g.Units).Where(u => !masks.IsKept(u)))
        {
            foreach (var member in unit.Members)
            {
                using var slice = member.Select(masks[member.Parameter].Parameter);
                Assert.Equal(0, slice.count_nonzero().item<long>());
            }
        }
    }

    /// <summary>Asserts, in eval mode, that two random inputs of <paramref name="shape"/> give different outputs: no pruning cut the network from its input.</summary>
    public static void AssertOutputDependsOnInput(nn.Module<Tensor, Tensor> model, long[] shape)
    {
        model.eval();
        using var a = randn(shape);
        using var b = randn(shape);
        using var first = model.call(a);
        using var second = model.call(b);
        Assert.False(allclose(first, second), "The pruned network's output no longer depends on its input.");
    }

    /// <summary>Sets the norms' statistics away from their defaults (a few batches in train mode), so that a channel left in a norm would show.</summary>
    public static void WarmNorms(nn.Module<Tensor, Tensor> model, long[] inputShape)
    {
        model.train();
        using var noGrad = no_grad();
        for (var i = 0; i < 3; i++)
        {
            model.call(randn(inputShape)).Dispose();
        }

        model.eval();
    }
}
