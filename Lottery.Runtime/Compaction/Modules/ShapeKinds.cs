using Lottery.Export;
using Onnx;
using TorchSharp.Modules;
using static Lottery.Export.OnnxExport;
using static Lottery.Export.PyTorchExport;
using static TorchSharp.torch;

namespace Lottery.Compaction.Modules;

/// <summary>A 1- or 2-d max pool.</summary>
internal sealed class MaxPoolKind : ModuleKind
{
    public override string Name => "MaxPool";

    public override bool Handles(nn.Module module) => module is MaxPool1d or MaxPool2d;

    public override IReadOnlyList<string> SettingKinds => [nameof(MaxPool1d), nameof(MaxPool2d)];

    public override ModuleSettings? Read(nn.Module module) => module switch
    {
        MaxPool1d pool => new ModuleSettings
        {
            Kind = nameof(MaxPool1d), KernelSize = [pool.kernel_size], Stride = One(pool.stride), Padding = One(pool.padding), Dilation = One(pool.dilation), CeilMode = pool.ceil_mode,
        },
        MaxPool2d pool => new ModuleSettings
        {
            Kind = nameof(MaxPool2d), KernelSize = pool.kernel_size.ToArray(), Stride = pool.stride?.ToArray(), Padding = pool.padding?.ToArray(), Dilation = pool.dilation?.ToArray(), CeilMode = pool.ceil_mode,
        },
        _ => null,
    };

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings s, Device? device) => s.Kind == nameof(MaxPool1d)
        ? nn.MaxPool1d(s.Sizes(s.KernelSize, 1, "kernel_size")[0], s.Optional(s.Stride, 1, "stride"), s.Optional(s.Padding, 1, "padding"), s.Optional(s.Dilation, 1, "dilation"), s.Need(s.CeilMode, "ceil_mode"))
        : nn.MaxPool2d(s.Sizes(s.KernelSize, 2, "kernel_size"), s.OptionalSizes(s.Stride, 2, "stride"), s.OptionalSizes(s.Padding, 2, "padding"), s.OptionalSizes(s.Dilation, 2, "dilation"), s.Need(s.CeilMode, "ceil_mode"));

    public override LinkKind? ChainLink(nn.Module module, string description) => LinkKind.Pool;

    public override (bool Allowed, string Expected) ChainShape(nn.Module module, int rank) => ChannelsShape(module is MaxPool1d, rank);

    public override string WriteOnnx(Writer writer, ModuleSettings? settings)
    {
        var s = Need(settings, writer);
        return Pool(writer, "MaxPool", s, [Ints("dilations", s.Dilation ?? s.KernelSize!.Select(_ => 1L))]);
    }

    public override string Python(nn.Module module, ModuleSettings? s, PythonLayer layer) =>
        $"nn.{s!.Kind}({PyTorchExport.Sizes(s.KernelSize!)}, stride={PyTorchExport.Sizes(s.Stride ?? s.KernelSize!)}, padding={PyTorchExport.Sizes(s.Padding ?? Zeros(s.KernelSize!))}, "
        + $"dilation={PyTorchExport.Sizes(s.Dilation ?? Ones(s.KernelSize!))}, ceil_mode={Bool(s.CeilMode!.Value)})";

    /// <summary>An ONNX pool of these settings: a stride of the kernel size when none is given, no padding when none is given.</summary>
    internal static string Pool(Writer writer, string op, ModuleSettings s, AttributeProto[] extra)
    {
        var kernel = s.KernelSize!;
        var pads = s.Padding ?? new long[kernel.Length];
        return writer.Add(op, [writer.Input], [Ints("kernel_shape", kernel), Ints("strides", s.Stride ?? kernel), Ints("pads", [.. pads, .. pads]), Int("ceil_mode", s.CeilMode == true ? 1 : 0), .. extra]);
    }

    internal static long[]? One(long? value) => value is { } v ? [v] : null;

    internal static long[] Zeros(long[] like) => new long[like.Length];

    private static long[] Ones(long[] like) => like.Select(_ => 1L).ToArray();
}

/// <summary>A 1- or 2-d average pool.</summary>
internal sealed class AvgPoolKind : ModuleKind
{
    public override string Name => "AvgPool";

    public override bool Handles(nn.Module module) => module is AvgPool1d or AvgPool2d;

    public override IReadOnlyList<string> SettingKinds => [nameof(AvgPool1d), nameof(AvgPool2d)];

    public override ModuleSettings? Read(nn.Module module) => module switch
    {
        AvgPool1d pool => new ModuleSettings
        {
            Kind = nameof(AvgPool1d), KernelSize = [pool.kernel_size], Stride = MaxPoolKind.One(pool.stride), Padding = MaxPoolKind.One(pool.padding), CeilMode = pool.ceil_mode, CountIncludePad = pool.count_include_pad,
        },
        AvgPool2d pool => new ModuleSettings
        {
            Kind = nameof(AvgPool2d), KernelSize = pool.kernel_size.ToArray(), Stride = pool.stride?.ToArray(), Padding = pool.padding?.ToArray(), CeilMode = pool.ceil_mode,
            CountIncludePad = pool.count_include_pad, DivisorOverride = pool.divisor_override,
        },
        _ => null,
    };

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings s, Device? device) => s.Kind == nameof(AvgPool1d)
        ? nn.AvgPool1d(s.Sizes(s.KernelSize, 1, "kernel_size")[0], s.Optional(s.Stride, 1, "stride"), s.Optional(s.Padding, 1, "padding") ?? 0, s.Need(s.CeilMode, "ceil_mode"), s.Need(s.CountIncludePad, "count_include_pad"))
        : nn.AvgPool2d(
            s.Sizes(s.KernelSize, 2, "kernel_size"), s.OptionalSizes(s.Stride, 2, "stride"), s.OptionalSizes(s.Padding, 2, "padding"), s.Need(s.CeilMode, "ceil_mode"), s.Need(s.CountIncludePad, "count_include_pad"), s.DivisorOverride);

    public override LinkKind? ChainLink(nn.Module module, string description) => LinkKind.Pool;

    public override (bool Allowed, string Expected) ChainShape(nn.Module module, int rank) => ChannelsShape(module is AvgPool1d, rank);

    public override string WriteOnnx(Writer writer, ModuleSettings? settings)
    {
        var s = Need(settings, writer);
        if (s.DivisorOverride is not null)
        {
            throw writer.Unsupported("an average pool with a divisor override has no ONNX operator");
        }

        return MaxPoolKind.Pool(writer, "AveragePool", s, [Int("count_include_pad", s.CountIncludePad == true ? 1 : 0)]);
    }

    public override string Python(nn.Module module, ModuleSettings? s, PythonLayer layer)
    {
        var common = $"{PyTorchExport.Sizes(s!.KernelSize!)}, stride={PyTorchExport.Sizes(s.Stride ?? s.KernelSize!)}, padding={PyTorchExport.Sizes(s.Padding ?? MaxPoolKind.Zeros(s.KernelSize!))}, "
            + $"ceil_mode={Bool(s.CeilMode!.Value)}, count_include_pad={Bool(s.CountIncludePad!.Value)}";
        return s.Kind == nameof(AvgPool1d)
            ? $"nn.AvgPool1d({common})"
            : $"nn.AvgPool2d({common}, divisor_override={(s.DivisorOverride is { } d ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")})";
    }
}

/// <summary>A Flatten module.</summary>
internal sealed class FlattenKind : ModuleKind
{
    public override string Name => nameof(Flatten);

    public override bool Handles(nn.Module module) => module is Flatten;

    public override IReadOnlyList<string> SettingKinds => [nameof(Flatten)];

    public override ModuleSettings? Read(nn.Module module) =>
        new ModuleSettings { Kind = nameof(Flatten), StartDim = ((Flatten)module).start_dim, EndDim = ((Flatten)module).end_dim };

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings s, Device? device) => nn.Flatten(s.Need(s.StartDim, "start_dim"), s.Need(s.EndDim, "end_dim"));

    public override LinkKind? ChainLink(nn.Module module, string description) => LinkKind.Flatten;

    public override (bool Allowed, string Expected) ChainShape(nn.Module module, int rank) =>
        (ChainTrace.Normalise(((Flatten)module).start_dim, rank + 1) >= 1, "a start_dim after the batch axis");

    public override string WriteOnnx(Writer writer, ModuleSettings? settings)
    {
        var s = Need(settings, writer);
        if (s.StartDim != 1 || s.EndDim != -1)
        {
            throw writer.Unsupported($"ONNX's Flatten keeps the batch axis and joins all the others (start_dim 1, end_dim -1), not start_dim {s.StartDim}, end_dim {s.EndDim}");
        }

        return writer.Add("Flatten", [writer.Input], Int("axis", 1));
    }

    public override string Python(nn.Module module, ModuleSettings? s, PythonLayer layer) => $"nn.Flatten({s!.StartDim}, {s.EndDim})";
}

/// <summary>Dropout (1- and 2-d too) and Identity: nothing at inference.</summary>
internal sealed class PassThroughKind : ModuleKind
{
    public override string Name => "PassThrough";

    public override bool Handles(nn.Module module) => module is Dropout or Dropout1d or Dropout2d or Identity;

    public override IReadOnlyList<string> SettingKinds => [nameof(Dropout), nameof(Dropout1d), nameof(Dropout2d), nameof(Identity)];

    public override ModuleSettings? Read(nn.Module module) => module switch
    {
        Dropout dropout => new ModuleSettings { Kind = nameof(Dropout), P = dropout.p, Inplace = dropout.inplace },
        Dropout1d dropout => new ModuleSettings { Kind = nameof(Dropout1d), P = dropout.p, Inplace = dropout.inplace },
        Dropout2d dropout => new ModuleSettings { Kind = nameof(Dropout2d), P = dropout.p, Inplace = dropout.inplace },
        _ => new ModuleSettings { Kind = nameof(Identity) },
    };

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings s, Device? device) => s.Kind switch
    {
        nameof(Dropout) => nn.Dropout(s.Need(s.P, "p"), s.Need(s.Inplace, "inplace")),
        nameof(Dropout1d) => nn.Dropout1d(s.Need(s.P, "p"), s.Need(s.Inplace, "inplace")),
        nameof(Dropout2d) => nn.Dropout2d(s.Need(s.P, "p"), s.Need(s.Inplace, "inplace")),
        _ => nn.Identity(),
    };

    public override LinkKind? ChainLink(nn.Module module, string description) => LinkKind.Passthrough;

    public override string WriteOnnx(Writer writer, ModuleSettings? settings) => writer.Input;   // Nothing at inference.

    public override string Python(nn.Module module, ModuleSettings? s, PythonLayer layer) =>
        s!.Kind == nameof(Identity) ? "nn.Identity()" : $"nn.{s.Kind}(p={Number(s.P!.Value)})";
}

/// <summary>ReLU6 (graphs only): ONNX's Clip to [0, 6].</summary>
internal sealed class ReLU6Kind : ModuleKind
{
    public override string Name => nameof(ReLU6);

    public override bool Handles(nn.Module module) => module is ReLU6;

    public override string WriteOnnx(Writer writer, ModuleSettings? settings) => writer.Add("Clip", [writer.Input, writer.Scalar("min", 0f), writer.Scalar("max", 6f)]);

    public override string Python(nn.Module module, ModuleSettings? settings, PythonLayer layer) => "nn.ReLU6()";
}

/// <summary>Hardswish (graphs only).</summary>
internal sealed class HardswishKind : ModuleKind
{
    public override string Name => nameof(Hardswish);

    public override bool Handles(nn.Module module) => module is Hardswish;

    public override string WriteOnnx(Writer writer, ModuleSettings? settings) => writer.Add("HardSwish", [writer.Input]);

    public override string Python(nn.Module module, ModuleSettings? settings, PythonLayer layer) => "nn.Hardswish()";
}

/// <summary>
/// The activations chains hold, one row each: how its settings are read, how it is built again, its ONNX node and its
/// PyTorch constructor.
/// </summary>
internal sealed class ActivationKind(
    string name,
    Func<nn.Module, bool> handles,
    Func<nn.Module, ModuleSettings> read,
    Func<ModuleSettings, nn.Module<Tensor, Tensor>> create,
    Func<Writer, ModuleSettings, string> onnx,
    Func<ModuleSettings, string> python) : ModuleKind
{
    /// <summary>ReLU, LeakyReLU, Tanh, Sigmoid, GELU, ELU and SiLU.</summary>
    public static readonly ActivationKind[] All =
    [
        new(nameof(ReLU), m => m is ReLU, m => new ModuleSettings { Kind = nameof(ReLU), Inplace = ((ReLU)m).inplace },
            s => nn.ReLU(s.Need(s.Inplace, "inplace")), (w, _) => w.Add("Relu", [w.Input]), _ => "nn.ReLU()"),
        new(nameof(LeakyReLU), m => m is LeakyReLU, m => new ModuleSettings { Kind = nameof(LeakyReLU), NegativeSlope = ((LeakyReLU)m).negative_slope, Inplace = ((LeakyReLU)m).inplace },
            s => nn.LeakyReLU(s.Need(s.NegativeSlope, "negative_slope"), s.Need(s.Inplace, "inplace")),
            (w, s) => w.Add("LeakyRelu", [w.Input], Float("alpha", s.NegativeSlope ?? 0.01)), s => $"nn.LeakyReLU({Number(s.NegativeSlope!.Value)})"),
        new(nameof(Tanh), m => m is Tanh, m => new ModuleSettings { Kind = nameof(Tanh), Inplace = ((Tanh)m).inplace },
            s => nn.Tanh(s.Need(s.Inplace, "inplace")), (w, _) => w.Add("Tanh", [w.Input]), _ => "nn.Tanh()"),
        new(nameof(Sigmoid), m => m is Sigmoid, m => new ModuleSettings { Kind = nameof(Sigmoid), Inplace = ((Sigmoid)m).inplace },
            s => nn.Sigmoid(s.Need(s.Inplace, "inplace")), (w, _) => w.Add("Sigmoid", [w.Input]), _ => "nn.Sigmoid()"),
        new(nameof(GELU), m => m is GELU, m => new ModuleSettings { Kind = nameof(GELU), Approximate = ((GELU)m).approximate, Inplace = ((GELU)m).inplace },
            s => nn.GELU(s.Need(s.Approximate, "approximate"), s.Need(s.Inplace, "inplace")),
            (w, s) => w.Add("Gelu", [w.Input], Text("approximate", s.Approximate == GELU.Approximate.tanh ? "tanh" : "none")),
            s => $"nn.GELU(approximate={PyTorchExport.Text(s.Approximate == GELU.Approximate.tanh ? "tanh" : "none")})"),
        new(nameof(ELU), m => m is ELU, m => new ModuleSettings { Kind = nameof(ELU), Alpha = ((ELU)m).alpha, Inplace = ((ELU)m).inplace },
            s => nn.ELU(s.Need(s.Alpha, "alpha"), s.Need(s.Inplace, "inplace")),
            (w, s) => w.Add("Elu", [w.Input], Float("alpha", s.Alpha ?? 1.0)), s => $"nn.ELU({Number(s.Alpha!.Value)})"),
        new(nameof(SiLU), m => m is SiLU, m => new ModuleSettings { Kind = nameof(SiLU), Inplace = ((SiLU)m).inplace },
            s => nn.SiLU(s.Need(s.Inplace, "inplace")),
            (w, _) => w.Add("Mul", [w.Input, w.Intermediate("Sigmoid", "_sigmoid", [w.Input])]), _ => "nn.SiLU()"),
    ];

    public override string Name => name;

    public override bool Handles(nn.Module module) => handles(module);

    public override IReadOnlyList<string> SettingKinds => [name];

    public override ModuleSettings? Read(nn.Module module) => read(module);

    public override nn.Module<Tensor, Tensor> Create(ModuleSettings settings, Device? device) => create(settings);

    public override LinkKind? ChainLink(nn.Module module, string description) => LinkKind.Elementwise;

    public override string WriteOnnx(Writer writer, ModuleSettings? settings) => onnx(writer, Need(settings, writer));

    public override string Python(nn.Module module, ModuleSettings? settings, PythonLayer layer) => python(settings ?? read(module));
}
