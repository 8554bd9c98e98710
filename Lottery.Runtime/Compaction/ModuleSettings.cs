using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>
/// The constructor settings of one chain module: read from a module, made into a fresh module of the same kind, and
/// written as JSON in a chain file. How each kind is read and built is its <see cref="Modules.ModuleKind"/>'s: compaction
/// rebuilds its modules from these (with the sizes of the kept units), and <see cref="ChainFile"/> describes and rebuilds them.
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
    public static ModuleSettings? Read(nn.Module module) =>
        Modules.ModuleKind.Of(module)?.Read(module) is { } settings ? settings with { Dtype = DtypeOf(module) } : null;

    /// <summary>
    /// These settings for a Linear or convolution of <paramref name="inputs"/> input and <paramref name="outputs"/>
    /// output units (features or channels), with or without a bias.
    /// </summary>
    public ModuleSettings WithUnits(long inputs, long outputs, bool bias) =>
        Modules.ModuleKind.Building(Kind) is { } kind
            ? kind.WithUnits(this, inputs, outputs, bias)
            : throw new InvalidOperationException($"A {Kind} has no units to resize.");

    /// <summary>
    /// A fresh module of these settings, its parameters and buffers of <see cref="Dtype"/> on <paramref name="device"/>
    /// (the CPU when null), initialised as TorchSharp initialises a new module.
    /// </summary>
    /// <exception cref="NotSupportedException">The kind is not one of the <see cref="Supported"/> modules.</exception>
    /// <exception cref="InvalidDataException">A setting the kind needs is missing or has the wrong number of entries.</exception>
    public nn.Module<Tensor, Tensor> Create(Device? device = null) =>
        Modules.ModuleKind.Building(Kind)?.Create(this, device)
        ?? throw new NotSupportedException($"'{Kind}' is not a module kind this version of Lottery can build (it builds {Supported}).");

    /// <summary>The element type of the module's first floating-point parameter or buffer.</summary>
    private static ScalarType? DtypeOf(nn.Module module) =>
        module.parameters(recurse: false).Cast<Tensor>().Concat(module.buffers(recurse: false))
            .FirstOrDefault(tensor => tensor.is_floating_point())?.dtype;

    /// <summary>A setting the kind needs; missing, an error naming it.</summary>
    internal T Need<T>(T? value, string setting)
        where T : struct =>
        value ?? throw new InvalidDataException($"The {Kind} lacks its '{setting}' setting.");

    /// <summary>Sizes the kind needs, <paramref name="count"/> of them.</summary>
    internal long[] Sizes(long[]? values, int count, string setting) =>
        values is null ? throw new InvalidDataException($"The {Kind} lacks its '{setting}' setting.")
        : values.Length != count ? throw new InvalidDataException($"The {Kind}'s '{setting}' has {values.Length} entries, not {count}.")
        : values.ToArray();

    internal long[]? OptionalSizes(long[]? values, int count, string setting) => values is null ? null : Sizes(values, count, setting);

    internal long? Optional(long[]? values, int count, string setting) => values is null ? null : Sizes(values, count, setting)[0];
}
