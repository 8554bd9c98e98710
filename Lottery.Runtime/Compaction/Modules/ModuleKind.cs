using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction.Modules;

/// <summary>
/// What Lottery knows of one kind of module when it changes the module's size: the sizes that fix its parameters' shapes,
/// how those sizes are set again once its parameters were sliced, and whether removing a unit it carries keeps its
/// outputs exact. One class per kind, as Torch-Pruning has one pruning function per layer type, so that a new kind is one
/// new class rather than a new case in several switches.
/// </summary>
internal abstract class ModuleKind
{
    private static readonly ModuleKind[] Kinds = [new LinearKind(), new ConvolutionKind(), new BatchNormKind(), new LayerNormKind(), new SelfAttentionKind()];

    /// <summary>The kinds whose size compaction in place can change, for error messages.</summary>
    public static string Supported => "Linear, Conv1d/2d/3d (grouped and depthwise too), BatchNorm1d/2d/3d, LayerNorm, and the heads of Lottery's SelfAttention (in Lottery.Layers.EncoderLayer too)";

    /// <summary>The kind that handles <paramref name="module"/>, or null.</summary>
    public static ModuleKind? Of(nn.Module module) => Kinds.FirstOrDefault(kind => kind.Handles(module));

    /// <summary>The kind named <paramref name="name"/> (as <see cref="Name"/> gives it), or null.</summary>
    public static ModuleKind? Named(string name) => Kinds.FirstOrDefault(kind => kind.Name == name);

    /// <summary>The kind's name, as a compacted model's file records it.</summary>
    public abstract string Name { get; }

    /// <summary>Whether this kind handles <paramref name="module"/>.</summary>
    public abstract bool Handles(nn.Module module);

    /// <summary>The sizes that fix the module's parameter shapes (a Linear's inputs and outputs, a convolution's channels and groups).</summary>
    public abstract IReadOnlyDictionary<string, long> Sizes(nn.Module module);

    /// <summary>Sets the module's own sizes to <paramref name="sizes"/>, after its parameters and buffers were given the matching shapes.</summary>
    public abstract void Resize(nn.Module module, IReadOnlyDictionary<string, long> sizes);

    /// <summary>The sizes the module has once its parameters have the shapes they now have (after slicing).</summary>
    public abstract IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before);

    /// <summary>
    /// Why units cannot be removed from this module without changing what it computes; null when they can. A LayerNorm
    /// normalizes over all its features, so a zero feature still moves the others' mean and variance.
    /// </summary>
    public virtual string? Inexact(nn.Module module) => null;

    /// <summary>The buffers sliced with the weight's units: a norm's running statistics.</summary>
    public virtual IEnumerable<string> UnitBuffers(nn.Module module) => [];

    /// <summary>
    /// Why the module cannot lose the given rows (output units) and, per group of rows, columns (input channels); null
    /// when it can. A grouped convolution must keep as many channels in each of its groups.
    /// </summary>
    public virtual string? CannotSlice(nn.Module module, IReadOnlySet<long> rows, IReadOnlyDictionary<long, HashSet<long>> columns) => null;

    /// <summary>Sets a get-only auto-property (TorchSharp keeps a convolution's channels in one).</summary>
    protected static void SetBackingField(object target, string property, object value)
    {
        var type = target.GetType();
        while (type is not null)
        {
            var field = type.GetField($"<{property}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic);
            if (field is not null)
            {
                field.SetValue(target, value);
                return;
            }

            var setter = type.GetProperty(property, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetSetMethod(nonPublic: true);
            if (setter is not null)
            {
                setter.Invoke(target, [value]);
                return;
            }

            type = type.BaseType;
        }

        throw new InvalidOperationException($"This TorchSharp's {target.GetType().Name} has no settable {property}: compaction in place needs TorchSharp 0.107.");
    }
}

/// <summary>A Linear: <c>in_features</c> and <c>out_features</c> follow its weight.</summary>
internal sealed class LinearKind : ModuleKind
{
    public override string Name => "Linear";

    public override bool Handles(nn.Module module) => module is Linear;

    public override IReadOnlyDictionary<string, long> Sizes(nn.Module module)
    {
        var linear = (Linear)module;
        return new Dictionary<string, long> { ["in"] = linear.in_features, ["out"] = linear.out_features };
    }

    public override IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before)
    {
        var weight = ((Linear)module).weight;
        return new Dictionary<string, long> { ["in"] = weight.shape[1], ["out"] = weight.shape[0] };
    }

    public override void Resize(nn.Module module, IReadOnlyDictionary<string, long> sizes)
    {
        var linear = (Linear)module;
        linear.in_features = sizes["in"];
        linear.out_features = sizes["out"];
    }
}

/// <summary>
/// A convolution (1-, 2- or 3-d, not transposed): its channels follow its weight, and a depthwise one (as many groups as
/// channels) stays depthwise: its groups follow its channels.
/// </summary>
internal sealed class ConvolutionKind : ModuleKind
{
    public override string Name => "Convolution";

    public override bool Handles(nn.Module module) => module is Convolution { transposed: false };

    public override IReadOnlyDictionary<string, long> Sizes(nn.Module module)
    {
        var conv = (Convolution)module;
        return new Dictionary<string, long> { ["in"] = conv.in_channels, ["out"] = conv.out_channels, ["groups"] = conv.groups };
    }

    public override IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before)
    {
        var weight = ((Convolution)module).weight;
        var depthwise = before["groups"] > 1 && before["groups"] == before["in"] && before["groups"] == before["out"];
        var groups = depthwise ? weight.shape[0] : before["groups"];
        return new Dictionary<string, long> { ["in"] = weight.shape[1] * groups, ["out"] = weight.shape[0], ["groups"] = groups };
    }

    public override void Resize(nn.Module module, IReadOnlyDictionary<string, long> sizes)
    {
        var conv = (Convolution)module;
        SetBackingField(conv, nameof(Convolution.in_channels), sizes["in"]);
        SetBackingField(conv, nameof(Convolution.out_channels), sizes["out"]);
        conv.groups = sizes["groups"];
    }

    public override string? CannotSlice(nn.Module module, IReadOnlySet<long> rows, IReadOnlyDictionary<long, HashSet<long>> columns)
    {
        var conv = (Convolution)module;
        if (conv.groups == 1 || (conv.groups == conv.in_channels && conv.groups == conv.out_channels))
        {
            return null;
        }

        // A grouped convolution keeps its groups: each must lose as many output channels, and as many input channels.
        var rowsPerGroup = conv.out_channels / conv.groups;
        var lostRows = Enumerable.Range(0, (int)conv.groups).Select(g => rows.Count(r => r / rowsPerGroup == g)).Distinct().Count();
        var lostColumns = Enumerable.Range(0, (int)conv.groups)
            .Select(g => columns.TryGetValue(g, out var c) ? c.Count : 0)
            .Distinct().Count();
        return lostRows > 1 || lostColumns > 1
            ? $"it has {conv.groups} groups, and the pruned channels are not spread evenly over them"
            : null;
    }
}

/// <summary>A batch norm: its features, weight, bias and running statistics follow its units.</summary>
internal sealed class BatchNormKind : ModuleKind
{
    public override string Name => "BatchNorm";

    public override bool Handles(nn.Module module) => module is BatchNorm1d or BatchNorm2d or BatchNorm3d;

    public override IReadOnlyDictionary<string, long> Sizes(nn.Module module) =>
        new Dictionary<string, long> { ["features"] = ((NormBase)module).num_features };

    public override IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before)
    {
        var norm = (NormBase)module;
        var features = norm.weight?.shape[0] ?? norm.running_mean?.shape[0] ?? before["features"];
        return new Dictionary<string, long> { ["features"] = features };
    }

    public override void Resize(nn.Module module, IReadOnlyDictionary<string, long> sizes) =>
        SetBackingField(module, nameof(NormBase.num_features), sizes["features"]);

    public override IEnumerable<string> UnitBuffers(nn.Module module) => ["running_mean", "running_var"];
}

/// <summary>A LayerNorm over one dimension: its features follow its weight, but removing one changes what it computes.</summary>
internal sealed class LayerNormKind : ModuleKind
{
    public override string Name => "LayerNorm";

    public override bool Handles(nn.Module module) => module is LayerNorm { normalized_shape.Length: 1 };

    public override IReadOnlyDictionary<string, long> Sizes(nn.Module module) =>
        new Dictionary<string, long> { ["features"] = ((LayerNorm)module).normalized_shape[0] };

    public override IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before) =>
        new Dictionary<string, long> { ["features"] = ((LayerNorm)module).weight?.shape[0] ?? before["features"] };

    public override void Resize(nn.Module module, IReadOnlyDictionary<string, long> sizes) =>
        ((LayerNorm)module).normalized_shape = [sizes["features"]];

    public override string? Inexact(nn.Module module) =>
        "a LayerNorm normalizes over all its features, so removing a zero feature would change the mean and variance of the others";
}

/// <summary>
/// Lottery's <see cref="Lottery.Layers.SelfAttention"/>: its heads follow its stacked query, key and value projection (a
/// removed head takes its rows of each third; the output projection, a Linear, loses the head's columns), each head keeps
/// its size.
/// </summary>
internal sealed class SelfAttentionKind : ModuleKind
{
    public override string Name => "SelfAttention";

    public override bool Handles(nn.Module module) => module is Lottery.Layers.SelfAttention;

    public override IReadOnlyDictionary<string, long> Sizes(nn.Module module) =>
        new Dictionary<string, long> { ["heads"] = ((Lottery.Layers.SelfAttention)module).Heads };

    public override IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before)
    {
        var attention = (Lottery.Layers.SelfAttention)module;
        var rows = attention.named_parameters(recurse: false).First(p => p.name == "in_proj_weight").parameter.shape[0];
        return new Dictionary<string, long> { ["heads"] = rows / (3 * attention.HeadSize) };
    }

    public override void Resize(nn.Module module, IReadOnlyDictionary<string, long> sizes) =>
        ((Lottery.Layers.SelfAttention)module).Heads = sizes["heads"];

    public override string? CannotSlice(nn.Module module, IReadOnlySet<long> rows, IReadOnlyDictionary<long, HashSet<long>> columns)
    {
        var attention = (Lottery.Layers.SelfAttention)module;
        var inner = attention.Heads * attention.HeadSize;

        // Only whole heads: the same positions of the query, key and value, each head's features all together.
        var byThird = Enumerable.Range(0, 3).Select(t => rows.Where(r => r / inner == t).Select(r => r % inner).ToHashSet()).ToList();
        var whole = byThird.All(t => t.SetEquals(byThird[0])) && byThird[0].GroupBy(r => r / attention.HeadSize).All(h => h.Count() == attention.HeadSize);
        return whole ? null : "only whole heads can be removed from it (a head's query, key and value rows together)";
    }
}
