using Lottery.Export;
using TorchSharp;
using TorchSharp.Modules;
using static Lottery.Export.OnnxExport;
using static Lottery.Export.PyTorchExport;
using static TorchSharp.torch;

namespace Lottery.Compaction.Modules;

/// <summary>A Linear: <c>in_features</c> and <c>out_features</c> follow its weight.</summary>
internal sealed class LinearKind : ModuleKind
{
    public override string Name => "Linear";

    public override bool Handles(nn.Module module) => module is Linear;

    public override IReadOnlyList<string> SettingKinds => [nameof(Linear)];

    public override ModuleSettings? Read(nn.Module module)
    {
        var linear = (Linear)module;
        return new ModuleSettings { Kind = nameof(Linear), InFeatures = linear.in_features, OutFeatures = linear.out_features, Bias = linear.bias is not null };
    }

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings s, Device? device) =>
        nn.Linear(s.Need(s.InFeatures, "in_features"), s.Need(s.OutFeatures, "out_features"), s.Need(s.Bias, "bias"), device, s.Dtype);

    public override ModuleSettings WithUnits(ModuleSettings settings, long inputs, long outputs, bool bias) =>
        settings with { InFeatures = inputs, OutFeatures = outputs, Bias = bias };

    public override LinkKind? ChainLink(nn.Module module, string description) => LinkKind.Prunable;

    public override (bool Allowed, string Expected) ChainShape(nn.Module module, int rank) =>
        (rank == 1, "a sample of one axis (features); put a Flatten before it");

    public override string WriteOnnx(Writer writer, ModuleSettings? settings)
    {
        if (writer.Rank != 2)
        {
            // Gemm takes matrices only: a Linear on [sequence, batch, features] is MatMul by the transposed weight, then Add.
            var product = writer.Intermediate("MatMul", "_matmul", [writer.Input, writer.Initializer("weight_t", LayerWeights.EffectiveWeight(writer.Module).t())]);
            var bias = writer.Bias().ToList();
            return bias.Count == 0 ? writer.Add("Identity", [product]) : writer.Add("Add", [product, .. bias]);
        }

        return writer.Add("Gemm", [writer.Input, writer.Initializer("weight", LayerWeights.EffectiveWeight(writer.Module)), .. writer.Bias()], Int("transB", 1));
    }

    public override string Python(nn.Module module, ModuleSettings? s, PythonLayer layer) =>
        $"nn.Linear({s!.InFeatures}, {s.OutFeatures}, bias={Bool(s.Bias!.Value)}{layer.Dtype})";

    public override (Tensor Weight, string Parameter, long Outputs)? Cost(nn.Module module) =>
        (((Linear)module).weight!, "weight", ((Linear)module).out_features);

    public override bool CanResize => true;

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
/// channels) stays depthwise: its groups follow its channels. Chains hold 1- and 2-d ones.
/// </summary>
internal sealed class ConvolutionKind : ModuleKind
{
    public override string Name => "Convolution";

    public override bool Handles(nn.Module module) => module is Convolution { transposed: false };

    public override IReadOnlyList<string> SettingKinds => [nameof(Conv1d), nameof(Conv2d)];

    public override ModuleSettings? Read(nn.Module module) => module is Conv1d or Conv2d ? Describe(module) : null;

    /// <summary>The settings of any convolution this kind handles (chains hold 1- and 2-d ones).</summary>
    private static ModuleSettings Describe(nn.Module module)
    {
        var conv = (Convolution)module;
        return new ModuleSettings
        {
            Kind = conv.GetType().Name,
            InChannels = conv.in_channels,
            OutChannels = conv.out_channels,
            Bias = conv.bias is not null,
            KernelSize = conv.kernel_size.ToArray(),
            Stride = conv.stride.ToArray(),
            Padding = conv.padding_type is null ? conv.padding?.ToArray() ?? new long[conv.kernel_size.Length] : null,
            PaddingType = conv.padding_type,
            PaddingMode = conv.padding_mode,
            Dilation = conv.dilation.ToArray(),
            Groups = conv.groups,
        };
    }

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings s, Device? device)
    {
        Convolution conv = s.Kind == nameof(Conv1d)
            ? nn.Conv1d(
                s.Need(s.InChannels, "in_channels"), s.Need(s.OutChannels, "out_channels"), s.Sizes(s.KernelSize, 1, "kernel_size")[0], s.Sizes(s.Stride, 1, "stride")[0], 0,
                s.Sizes(s.Dilation, 1, "dilation")[0], s.Need(s.PaddingMode, "padding_mode"), s.Need(s.Groups, "groups"), s.Need(s.Bias, "bias"), device, s.Dtype)
            : nn.Conv2d(
                s.Need(s.InChannels, "in_channels"), s.Need(s.OutChannels, "out_channels"), Pair(s.Sizes(s.KernelSize, 2, "kernel_size")), Pair(s.Sizes(s.Stride, 2, "stride")), (0, 0),
                Pair(s.Sizes(s.Dilation, 2, "dilation")), s.Need(s.PaddingMode, "padding_mode"), s.Need(s.Groups, "groups"), s.Need(s.Bias, "bias"), device, s.Dtype);

        // Made with no padding, then given the settings' own: by name, or by sizes.
        if (s.PaddingType is { } type)
        {
            conv.SetPadding(type);
        }
        else
        {
            conv.SetPadding(s.Sizes(s.Padding, conv.kernel_size.Length, "padding"));
        }

        return conv;

        static (long, long) Pair(long[] values) => (values[0], values[1]);
    }

    public override ModuleSettings WithUnits(ModuleSettings settings, long inputs, long outputs, bool bias) =>
        settings with { InChannels = inputs, OutChannels = outputs, Bias = bias };

    public override LinkKind? ChainLink(nn.Module module, string description) => module switch
    {
        Conv1d { groups: not 1 } or Conv2d { groups: not 1 } => throw new NotSupportedException(
            $"{description} with groups = {((Convolution)module).groups}; compaction supports convolutions with groups = 1 only (a grouped convolution ties its channels to groups)."),
        Conv1d or Conv2d => LinkKind.Prunable,
        _ => null,
    };

    public override (bool Allowed, string Expected) ChainShape(nn.Module module, int rank) => ChannelsShape(module is Conv1d, rank);

    public override string WriteOnnx(Writer writer, ModuleSettings? settings)
    {
        var conv = (Convolution)writer.Module;
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            throw writer.Unsupported($"it pads with {conv.padding_mode}; ONNX's Conv pads with zeros only");
        }

        var kernel = conv.kernel_size.ToArray();
        var pads = conv.padding_type switch
        {
            null => conv.padding?.ToArray() ?? new long[kernel.Length],
            TorchSharp.Padding.Valid => new long[kernel.Length],
            _ => SamePadding(writer, kernel, conv.dilation, conv.stride),
        };
        return writer.Add(
            "Conv",
            [writer.Input, writer.Initializer("weight", LayerWeights.EffectiveWeight(conv)), .. writer.Bias()],
            Ints("kernel_shape", kernel),
            Ints("strides", conv.stride),
            Ints("pads", [.. pads, .. pads]),
            Ints("dilations", conv.dilation),
            Int("group", conv.groups));
    }

    public override string Python(nn.Module module, ModuleSettings? s, PythonLayer layer)
    {
        var conv = s ?? Describe(module);
        if (conv.PaddingMode is not (PaddingModes.Zeros or PaddingModes.Reflect or PaddingModes.Replicate or PaddingModes.Circular))
        {
            throw layer.Unsupported($"it pads with {conv.PaddingMode}, which PyTorch's convolutions do not (zeros, reflect, replicate or circular)");
        }

        var padding = conv.Padding is { } sizes ? PyTorchExport.Sizes(sizes) : conv.PaddingType == TorchSharp.Padding.Same ? "\"same\"" : "\"valid\"";
        return $"nn.{conv.Kind}({conv.InChannels}, {conv.OutChannels}, kernel_size={PyTorchExport.Sizes(conv.KernelSize!)}, stride={PyTorchExport.Sizes(conv.Stride!)}, padding={padding}, "
            + $"dilation={PyTorchExport.Sizes(conv.Dilation!)}, groups={conv.Groups}, bias={Bool(conv.Bias!.Value)}, padding_mode={Text(conv.PaddingMode!.Value.ToString().ToLowerInvariant())}{layer.Dtype})";
    }

    public override (Tensor Weight, string Parameter, long Outputs)? Cost(nn.Module module) =>
        (((Convolution)module).weight!, "weight", ((Convolution)module).out_channels);

    public override bool CanResize => true;

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

    private static long[] SamePadding(Writer writer, long[] kernel, long[] dilation, long[] stride)
    {
        var pads = new long[kernel.Length];
        for (var axis = 0; axis < kernel.Length; axis++)
        {
            var total = dilation[axis] * (kernel[axis] - 1);
            if (stride[axis] != 1 || total % 2 != 0)
            {
                throw writer.Unsupported("its 'same' padding is uneven (an even kernel or a stride above 1); give the padding in sizes");
            }

            pads[axis] = total / 2;
        }

        return pads;
    }
}

/// <summary>A batch norm: its features, weight, bias and running statistics follow its units. Chains hold 1- and 2-d ones.</summary>
internal sealed class BatchNormKind : ModuleKind
{
    public override string Name => "BatchNorm";

    public override bool Handles(nn.Module module) => module is BatchNorm1d or BatchNorm2d or BatchNorm3d;

    public override IReadOnlyList<string> SettingKinds => [nameof(BatchNorm1d), nameof(BatchNorm2d)];

    public override ModuleSettings? Read(nn.Module module) => module is BatchNorm1d or BatchNorm2d ? Describe(module) : null;

    /// <summary>The settings of any batch norm this kind handles (chains hold 1- and 2-d ones).</summary>
    private static ModuleSettings Describe(nn.Module module)
    {
        var norm = (BatchNorm)module;
        return new ModuleSettings
        {
            Kind = norm.GetType().Name,
            NumFeatures = norm.num_features,
            Eps = norm.eps,
            Momentum = norm.momentum,
            Affine = norm.affine,
            TrackRunningStats = norm.track_running_stats,
            NumBatchesTrackedDtype = norm.num_batches_tracked?.dtype,
        };
    }

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings s, Device? device)
    {
        var features = s.Need(s.NumFeatures, "num_features");
        var eps = s.Need(s.Eps, "eps");
        var affine = s.Need(s.Affine, "affine");
        var track = s.Need(s.TrackRunningStats, "track_running_stats");
        BatchNorm norm = s.Kind == nameof(BatchNorm1d)
            ? nn.BatchNorm1d(features, eps, s.Momentum ?? 0.1, affine, track, device, s.Dtype)
            : nn.BatchNorm2d(features, eps, s.Momentum ?? 0.1, affine, track, device, s.Dtype);
        norm.momentum = s.Momentum;
        if (norm.num_batches_tracked is { } counter && s.NumBatchesTrackedDtype is { } counterType && counter.dtype != counterType)
        {
            norm.num_batches_tracked = tensor(0L, counterType, counter.device);
        }

        return norm;
    }

    public override LinkKind? ChainLink(nn.Module module, string description) => module switch
    {
        BatchNorm { track_running_stats: false } => throw new NotSupportedException(
            $"{description} without running statistics, which normalises by the batch even at inference; compaction needs BatchNorm with track_running_stats = true."),
        BatchNorm1d or BatchNorm2d => LinkKind.BatchNorm,
        _ => null,
    };

    public override (bool Allowed, string Expected) ChainShape(nn.Module module, int rank) => module is BatchNorm1d
        ? (rank is 1 or 2, "a sample of one or two axes (features, or channels and length)")
        : (rank == 3, "a sample of three axes (channels, height, width)");

    public override string WriteOnnx(Writer writer, ModuleSettings? settings)
    {
        var norm = (BatchNorm)writer.Module;
        if (norm.running_mean is null || norm.running_var is null)
        {
            throw writer.Unsupported("it keeps no running statistics (track_running_stats false), so at inference it would normalise by each batch's own, which ONNX's BatchNormalization does not");
        }

        var features = norm.num_features;
        var scale = norm.weight is { } weight ? weight.detach() : ones(features);
        var shift = norm.bias is { } bias ? bias.detach() : zeros(features);
        return writer.Add(
            "BatchNormalization",
            [writer.Input, writer.Initializer("scale", scale), writer.Initializer("shift", shift), writer.Initializer("mean", norm.running_mean), writer.Initializer("var", norm.running_var)],
            Float("epsilon", norm.eps));
    }

    public override string Python(nn.Module module, ModuleSettings? s, PythonLayer layer)
    {
        var norm = s ?? Describe(module);
        return $"nn.{norm.Kind}({norm.NumFeatures}, eps={Number(norm.Eps!.Value)}, momentum={(norm.Momentum is { } m ? Number(m) : "None")}, "
            + $"affine={Bool(norm.Affine!.Value)}, track_running_stats={Bool(norm.TrackRunningStats!.Value)}{layer.Dtype})";
    }

    public override bool CanResize => true;

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

/// <summary>A LayerNorm (graphs only): over one dimension its features follow its weight, but removing one changes what it computes.</summary>
internal sealed class LayerNormKind : ModuleKind
{
    public override string Name => "LayerNorm";

    public override bool Handles(nn.Module module) => module is LayerNorm;

    public override string WriteOnnx(Writer writer, ModuleSettings? settings)
    {
        var norm = (LayerNorm)writer.Module;
        var shape = norm.normalized_shape;
        var scale = norm.weight is { } weight ? weight.detach() : ones(shape);
        var shift = norm.bias is { } bias ? bias.detach() : zeros(shape);
        return writer.Add(
            "LayerNormalization",
            [writer.Input, writer.Initializer("weight", scale), writer.Initializer("bias", shift)],
            Int("axis", -shape.Length),
            Float("epsilon", norm.eps));
    }

    public override string Python(nn.Module module, ModuleSettings? settings, PythonLayer layer)
    {
        var norm = (LayerNorm)module;
        return $"nn.LayerNorm({PyTorchExport.Sizes(norm.normalized_shape)}, eps={Number(norm.eps)}, elementwise_affine={Bool(norm.weight is not null)}, bias={Bool(norm.bias is not null)})";
    }

    public override bool CanResize => true;

    public override bool Resizes(nn.Module module) => ((LayerNorm)module).normalized_shape.Length == 1;

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
/// its size. Graph export writes it inside an <see cref="Lottery.Layers.EncoderLayer"/>, as a whole.
/// </summary>
internal sealed class SelfAttentionKind : ModuleKind
{
    public override string Name => "SelfAttention";

    public override bool Handles(nn.Module module) => module is Lottery.Layers.SelfAttention;

    public override string WriteOnnx(Writer writer, ModuleSettings? settings) =>
        throw writer.Unsupported("graph export writes Lottery's SelfAttention as part of an EncoderLayer only");

    public override string Python(nn.Module module, ModuleSettings? settings, PythonLayer layer) =>
        throw layer.Unsupported("graph export writes Lottery's SelfAttention as part of an EncoderLayer only");

    public override (Tensor Weight, string Parameter, long Outputs)? Cost(nn.Module module) =>
        (InProjection(module), "in_proj_weight", ((Lottery.Layers.SelfAttention)module).Width);   // its input projection runs at each token

    public override bool CanResize => true;

    public override IReadOnlyDictionary<string, long> Sizes(nn.Module module) =>
        new Dictionary<string, long> { ["heads"] = ((Lottery.Layers.SelfAttention)module).Heads };

    public override IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before) =>
        new Dictionary<string, long> { ["heads"] = InProjection(module).shape[0] / (3 * ((Lottery.Layers.SelfAttention)module).HeadSize) };

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

    private static Tensor InProjection(nn.Module module) =>
        module.named_parameters(recurse: false).First(p => p.name == "in_proj_weight").parameter;
}

/// <summary>
/// An Embedding (graphs only): a lookup of its weight's rows at 64-bit indices, Gather in ONNX and <c>nn.Embedding</c> in
/// PyTorch. It multiplies nothing, and compaction leaves its size alone (its rows are tokens, its columns the features the
/// layers after it read).
/// </summary>
internal sealed class EmbeddingKind : ModuleKind
{
    public override string Name => "Embedding";

    public override bool Handles(nn.Module module) => module is Embedding;

    public override string WriteOnnx(Writer writer, ModuleSettings? settings) =>
        writer.Add("Gather", [writer.Initializer("weight", LayerWeights.EffectiveWeight(writer.Module)), writer.Input], Int("axis", 0));

    public override string Python(nn.Module module, ModuleSettings? settings, PythonLayer layer)
    {
        var weight = ((Embedding)module).weight!;
        return $"nn.Embedding({weight.shape[0]}, {weight.shape[1]}{layer.Dtype})";
    }
}
