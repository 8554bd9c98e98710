using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>
/// The constructor settings of one chain module: read from a module, made into a fresh module of the same kind, and
/// written as JSON in a chain file. The one place that knows how each supported module is built: compaction rebuilds
/// its modules from these (with the sizes of the kept units), and <see cref="ChainFile"/> describes and rebuilds them.
/// </summary>
/// <remarks>
/// Only the settings of <see cref="Kind"/> are set, the others are null (and left out of the JSON). Sizes are read as
/// arrays whatever the module's own type (a 1-d pool's kernel is <c>[k]</c>). The record is not sealed so that a chain
/// file's entry can add the module's name in front of its settings.
/// </remarks>
internal record ModuleSettings
{
    /// <summary>The modules described here, as error messages list them.</summary>
    public const string Supported =
        "Linear, Conv1d, Conv2d, BatchNorm1d/2d, MaxPool1d/2d, AvgPool1d/2d, Flatten, Dropout/Dropout1d/Dropout2d, Identity, " +
        "and the activations ReLU, LeakyReLU, Tanh, Sigmoid, GELU, ELU and SiLU";

    /// <summary>The TorchSharp module type's name: <c>Linear</c>, <c>Conv2d</c>, <c>MaxPool1d</c>...</summary>
    [JsonPropertyOrder(-1)]
    public required string Kind { get; init; }

    /// <summary>The element type of the module's parameters and buffers; null for a module without any.</summary>
    [JsonPropertyOrder(-1)]
    public ScalarType? Dtype { get; init; }

    /// <summary>A Linear's input features.</summary>
    public long? InFeatures { get; init; }

    /// <summary>A Linear's output features.</summary>
    public long? OutFeatures { get; init; }

    /// <summary>A convolution's input channels.</summary>
    public long? InChannels { get; init; }

    /// <summary>A convolution's output channels.</summary>
    public long? OutChannels { get; init; }

    /// <summary>Whether a Linear or convolution has a bias.</summary>
    public bool? Bias { get; init; }

    /// <summary>A convolution's or pool's kernel size, one entry per spatial axis.</summary>
    public long[]? KernelSize { get; init; }

    /// <summary>A convolution's or pool's stride; null for a pool whose stride is its kernel size.</summary>
    public long[]? Stride { get; init; }

    /// <summary>A convolution's or pool's padding per side; null for a convolution padded by <see cref="PaddingType"/>.</summary>
    public long[]? Padding { get; init; }

    /// <summary>A convolution's padding given by name (<c>Same</c> or <c>Valid</c>) rather than by sizes.</summary>
    public Padding? PaddingType { get; init; }

    /// <summary>What a convolution pads with: zeros, reflected or replicated values, a circular wrap.</summary>
    public PaddingModes? PaddingMode { get; init; }

    /// <summary>A convolution's or max pool's dilation.</summary>
    public long[]? Dilation { get; init; }

    /// <summary>A convolution's groups.</summary>
    public long? Groups { get; init; }

    /// <summary>A BatchNorm's features (channels).</summary>
    public long? NumFeatures { get; init; }

    /// <summary>A BatchNorm's epsilon.</summary>
    public double? Eps { get; init; }

    /// <summary>A BatchNorm's momentum; null for a cumulative average.</summary>
    public double? Momentum { get; init; }

    /// <summary>Whether a BatchNorm has a learned scale and shift.</summary>
    public bool? Affine { get; init; }

    /// <summary>Whether a BatchNorm keeps running statistics.</summary>
    public bool? TrackRunningStats { get; init; }

    /// <summary>
    /// The element type of a BatchNorm's batch counter: Int64 for one created without a dtype, the parameters' type for
    /// one created with a dtype (as TorchSharp makes it).
    /// </summary>
    public ScalarType? NumBatchesTrackedDtype { get; init; }

    /// <summary>Whether a pool rounds its output size up.</summary>
    public bool? CeilMode { get; init; }

    /// <summary>Whether an average pool counts the padding in its divisor.</summary>
    public bool? CountIncludePad { get; init; }

    /// <summary>An average pool's fixed divisor, when it has one.</summary>
    public long? DivisorOverride { get; init; }

    /// <summary>Whether an activation or dropout works in place.</summary>
    public bool? Inplace { get; init; }

    /// <summary>A LeakyReLU's slope for negative inputs.</summary>
    public double? NegativeSlope { get; init; }

    /// <summary>An ELU's alpha.</summary>
    public double? Alpha { get; init; }

    /// <summary>A GELU's approximation (<c>none</c> or <c>tanh</c>).</summary>
    public GELU.Approximate? Approximate { get; init; }

    /// <summary>A Flatten's first axis.</summary>
    public long? StartDim { get; init; }

    /// <summary>A Flatten's last axis.</summary>
    public long? EndDim { get; init; }

    /// <summary>A dropout's probability.</summary>
    public double? P { get; init; }

    /// <summary>The settings of <paramref name="module"/>; null when it is not one of the <see cref="Supported"/> modules.</summary>
    public static ModuleSettings? Read(nn.Module module)
    {
        var settings = module switch
        {
            Linear linear => new ModuleSettings { Kind = nameof(Linear), InFeatures = linear.in_features, OutFeatures = linear.out_features, Bias = linear.bias is not null },
            Conv1d or Conv2d => Convolution((Convolution)module),
            BatchNorm1d or BatchNorm2d => BatchNorm((BatchNorm)module),
            MaxPool1d pool => new ModuleSettings
            {
                Kind = nameof(MaxPool1d), KernelSize = [pool.kernel_size], Stride = One(pool.stride), Padding = One(pool.padding), Dilation = One(pool.dilation), CeilMode = pool.ceil_mode,
            },
            MaxPool2d pool => new ModuleSettings
            {
                Kind = nameof(MaxPool2d), KernelSize = Copy(pool.kernel_size), Stride = Copy(pool.stride), Padding = Copy(pool.padding), Dilation = Copy(pool.dilation), CeilMode = pool.ceil_mode,
            },
            AvgPool1d pool => new ModuleSettings
            {
                Kind = nameof(AvgPool1d), KernelSize = [pool.kernel_size], Stride = One(pool.stride), Padding = One(pool.padding), CeilMode = pool.ceil_mode, CountIncludePad = pool.count_include_pad,
            },
            AvgPool2d pool => new ModuleSettings
            {
                Kind = nameof(AvgPool2d), KernelSize = Copy(pool.kernel_size), Stride = Copy(pool.stride), Padding = Copy(pool.padding), CeilMode = pool.ceil_mode,
                CountIncludePad = pool.count_include_pad, DivisorOverride = pool.divisor_override,
            },
            Flatten flatten => new ModuleSettings { Kind = nameof(Flatten), StartDim = flatten.start_dim, EndDim = flatten.end_dim },
            Dropout dropout => new ModuleSettings { Kind = nameof(Dropout), P = dropout.p, Inplace = dropout.inplace },
            Dropout1d dropout => new ModuleSettings { Kind = nameof(Dropout1d), P = dropout.p, Inplace = dropout.inplace },
            Dropout2d dropout => new ModuleSettings { Kind = nameof(Dropout2d), P = dropout.p, Inplace = dropout.inplace },
            Identity => new ModuleSettings { Kind = nameof(Identity) },
            ReLU relu => new ModuleSettings { Kind = nameof(ReLU), Inplace = relu.inplace },
            LeakyReLU leaky => new ModuleSettings { Kind = nameof(LeakyReLU), NegativeSlope = leaky.negative_slope, Inplace = leaky.inplace },
            Tanh tanh => new ModuleSettings { Kind = nameof(Tanh), Inplace = tanh.inplace },
            Sigmoid sigmoid => new ModuleSettings { Kind = nameof(Sigmoid), Inplace = sigmoid.inplace },
            GELU gelu => new ModuleSettings { Kind = nameof(GELU), Approximate = gelu.approximate, Inplace = gelu.inplace },
            ELU elu => new ModuleSettings { Kind = nameof(ELU), Alpha = elu.alpha, Inplace = elu.inplace },
            SiLU silu => new ModuleSettings { Kind = nameof(SiLU), Inplace = silu.inplace },
            _ => null,
        };

        return settings is null ? null : settings with { Dtype = DtypeOf(module) };
    }

    /// <summary>
    /// These settings for a Linear or convolution of <paramref name="inputs"/> input and <paramref name="outputs"/>
    /// output units (features or channels), with or without a bias.
    /// </summary>
    public ModuleSettings WithUnits(long inputs, long outputs, bool bias) => Kind switch
    {
        nameof(Linear) => this with { InFeatures = inputs, OutFeatures = outputs, Bias = bias },
        nameof(Conv1d) or nameof(Conv2d) => this with { InChannels = inputs, OutChannels = outputs, Bias = bias },
        _ => throw new InvalidOperationException($"A {Kind} has no units to resize."),
    };

    /// <summary>
    /// A fresh module of these settings, its parameters and buffers of <see cref="Dtype"/> on <paramref name="device"/>
    /// (the CPU when null), initialised as TorchSharp initialises a new module.
    /// </summary>
    /// <exception cref="NotSupportedException">The kind is not one of the <see cref="Supported"/> modules.</exception>
    /// <exception cref="InvalidDataException">A setting the kind needs is missing or has the wrong number of entries.</exception>
    public nn.Module<Tensor, Tensor> Create(Device? device = null) => Kind switch
    {
        nameof(Linear) => nn.Linear(Need(InFeatures, "in_features"), Need(OutFeatures, "out_features"), Need(Bias, "bias"), device, Dtype),
        nameof(Conv1d) => Padded(nn.Conv1d(
            Need(InChannels, "in_channels"), Need(OutChannels, "out_channels"), Sizes(KernelSize, 1, "kernel_size")[0], Sizes(Stride, 1, "stride")[0], 0,
            Sizes(Dilation, 1, "dilation")[0], Need(PaddingMode, "padding_mode"), Need(Groups, "groups"), Need(Bias, "bias"), device, Dtype)),
        nameof(Conv2d) => Padded(nn.Conv2d(
            Need(InChannels, "in_channels"), Need(OutChannels, "out_channels"), Pair(Sizes(KernelSize, 2, "kernel_size")), Pair(Sizes(Stride, 2, "stride")), (0, 0),
            Pair(Sizes(Dilation, 2, "dilation")), Need(PaddingMode, "padding_mode"), Need(Groups, "groups"), Need(Bias, "bias"), device, Dtype)),
        nameof(BatchNorm1d) or nameof(BatchNorm2d) => CreateBatchNorm(device),
        nameof(MaxPool1d) => nn.MaxPool1d(Sizes(KernelSize, 1, "kernel_size")[0], Optional(Stride, 1, "stride"), Optional(Padding, 1, "padding"), Optional(Dilation, 1, "dilation"), Need(CeilMode, "ceil_mode")),
        nameof(MaxPool2d) => nn.MaxPool2d(Sizes(KernelSize, 2, "kernel_size"), OptionalSizes(Stride, 2, "stride"), OptionalSizes(Padding, 2, "padding"), OptionalSizes(Dilation, 2, "dilation"), Need(CeilMode, "ceil_mode")),
        nameof(AvgPool1d) => nn.AvgPool1d(Sizes(KernelSize, 1, "kernel_size")[0], Optional(Stride, 1, "stride"), Optional(Padding, 1, "padding") ?? 0, Need(CeilMode, "ceil_mode"), Need(CountIncludePad, "count_include_pad")),
        nameof(AvgPool2d) => nn.AvgPool2d(
            Sizes(KernelSize, 2, "kernel_size"), OptionalSizes(Stride, 2, "stride"), OptionalSizes(Padding, 2, "padding"), Need(CeilMode, "ceil_mode"), Need(CountIncludePad, "count_include_pad"), DivisorOverride),
        nameof(Flatten) => nn.Flatten(Need(StartDim, "start_dim"), Need(EndDim, "end_dim")),
        nameof(Dropout) => nn.Dropout(Need(P, "p"), Need(Inplace, "inplace")),
        nameof(Dropout1d) => nn.Dropout1d(Need(P, "p"), Need(Inplace, "inplace")),
        nameof(Dropout2d) => nn.Dropout2d(Need(P, "p"), Need(Inplace, "inplace")),
        nameof(Identity) => nn.Identity(),
        nameof(ReLU) => nn.ReLU(Need(Inplace, "inplace")),
        nameof(LeakyReLU) => nn.LeakyReLU(Need(NegativeSlope, "negative_slope"), Need(Inplace, "inplace")),
        nameof(Tanh) => nn.Tanh(Need(Inplace, "inplace")),
        nameof(Sigmoid) => nn.Sigmoid(Need(Inplace, "inplace")),
        nameof(GELU) => nn.GELU(Need(Approximate, "approximate"), Need(Inplace, "inplace")),
        nameof(ELU) => nn.ELU(Need(Alpha, "alpha"), Need(Inplace, "inplace")),
        nameof(SiLU) => nn.SiLU(Need(Inplace, "inplace")),
        _ => throw new NotSupportedException($"'{Kind}' is not a module kind this version of Lottery can build (it builds {Supported})."),
    };

    private static ModuleSettings Convolution(Convolution conv) => new()
    {
        Kind = conv.GetType().Name,
        InChannels = conv.in_channels,
        OutChannels = conv.out_channels,
        Bias = conv.bias is not null,
        KernelSize = Copy(conv.kernel_size),
        Stride = Copy(conv.stride),
        Padding = conv.padding_type is null ? Copy(conv.padding) ?? new long[conv.kernel_size.Length] : null,
        PaddingType = conv.padding_type,
        PaddingMode = conv.padding_mode,
        Dilation = Copy(conv.dilation),
        Groups = conv.groups,
    };

    private static ModuleSettings BatchNorm(BatchNorm norm) => new()
    {
        Kind = norm.GetType().Name,
        NumFeatures = norm.num_features,
        Eps = norm.eps,
        Momentum = norm.momentum,
        Affine = norm.affine,
        TrackRunningStats = norm.track_running_stats,
        NumBatchesTrackedDtype = norm.num_batches_tracked?.dtype,
    };

    private nn.Module<Tensor, Tensor> CreateBatchNorm(Device? device)
    {
        var features = Need(NumFeatures, "num_features");
        var eps = Need(Eps, "eps");
        var affine = Need(Affine, "affine");
        var track = Need(TrackRunningStats, "track_running_stats");
        BatchNorm norm = Kind == nameof(BatchNorm1d)
            ? nn.BatchNorm1d(features, eps, Momentum ?? 0.1, affine, track, device, Dtype)
            : nn.BatchNorm2d(features, eps, Momentum ?? 0.1, affine, track, device, Dtype);
        norm.momentum = Momentum;
        if (norm.num_batches_tracked is { } counter && NumBatchesTrackedDtype is { } counterType && counter.dtype != counterType)
        {
            norm.num_batches_tracked = tensor(0L, counterType, counter.device);
        }

        return norm;
    }

    /// <summary>Gives a fresh convolution (made with no padding) the padding of these settings: by name, or by sizes.</summary>
    private T Padded<T>(T fresh)
        where T : Convolution
    {
        if (PaddingType is { } type)
        {
            fresh.SetPadding(type);
        }
        else
        {
            fresh.SetPadding(Sizes(Padding, fresh.kernel_size.Length, "padding"));
        }

        return fresh;
    }

    /// <summary>The element type of the module's first floating-point parameter or buffer.</summary>
    private static ScalarType? DtypeOf(nn.Module module) =>
        module.parameters(recurse: false).Cast<Tensor>().Concat(module.buffers(recurse: false))
            .FirstOrDefault(tensor => tensor.is_floating_point())?.dtype;

    private T Need<T>(T? value, string setting)
        where T : struct =>
        value ?? throw new InvalidDataException($"The {Kind} lacks its '{setting}' setting.");

    private long[] Sizes(long[]? values, int count, string setting) =>
        values is null ? throw new InvalidDataException($"The {Kind} lacks its '{setting}' setting.")
        : values.Length != count ? throw new InvalidDataException($"The {Kind}'s '{setting}' has {values.Length} entries, not {count}.")
        : values.ToArray();

    private long[]? OptionalSizes(long[]? values, int count, string setting) => values is null ? null : Sizes(values, count, setting);

    private long? Optional(long[]? values, int count, string setting) => values is null ? null : Sizes(values, count, setting)[0];

    private static (long, long) Pair(long[] values) => (values[0], values[1]);

    private static long[]? One(long? value) => value is { } v ? [v] : null;

    private static long[]? Copy(long[]? values) => values?.ToArray();
}
