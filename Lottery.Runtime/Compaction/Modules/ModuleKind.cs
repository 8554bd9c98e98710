using System.Reflection;
using Lottery.Export;
using static TorchSharp.torch;

namespace Lottery.Compaction.Modules;

/// <summary>
/// Everything Lottery knows of one kind of module, in one place, as Torch-Pruning has one pruning function per layer
/// type: its constructor settings (read from a module, and a fresh module built from them: chain compaction and chain
/// files), its ONNX nodes, its PyTorch source, its cost in multiply-adds, and, for the kinds whose size compaction in
/// place changes, its sizes, how they are set again once its parameters were sliced, and whether removing a unit keeps
/// its outputs exact. A new kind is one new class here rather than a new case in several switches.
/// </summary>
internal abstract class ModuleKind
{
    // ReLU6 and Hardswish before the activations, the layers first: the first kind that handles a module is its kind.
    private static readonly ModuleKind[] Kinds =
    [
        new LinearKind(), new ConvolutionKind(), new BatchNormKind(), new LayerNormKind(), new SelfAttentionKind(), new EmbeddingKind(),
        new MaxPoolKind(), new AvgPoolKind(), new FlattenKind(), new PassThroughKind(),
        new ReLU6Kind(), new HardswishKind(), .. ActivationKind.All,
    ];

    /// <summary>The kinds whose size compaction in place can change, for error messages.</summary>
    public static string Resizable => "Linear, Conv1d/2d/3d (grouped and depthwise too), BatchNorm1d/2d/3d, LayerNorm, and the heads of Lottery's SelfAttention (in Lottery.Layers.EncoderLayer too)";

    /// <summary>The kind that handles <paramref name="module"/>, or null.</summary>
    public static ModuleKind? Of(nn.Module module) => Kinds.FirstOrDefault(kind => kind.Handles(module));

    /// <summary>The kind whose size compaction in place changes for <paramref name="module"/>, or null.</summary>
    public static ModuleKind? ResizableOf(nn.Module module) => Of(module) is { } kind && kind.Resizes(module) ? kind : null;

    /// <summary>The resizable kind named <paramref name="name"/> (as <see cref="Name"/> gives it, in a compacted model's file), or null.</summary>
    public static ModuleKind? Named(string name) => Kinds.FirstOrDefault(kind => kind.CanResize && kind.Name == name);

    /// <summary>The kind that builds modules of settings kind <paramref name="settingsKind"/> (<see cref="ModuleSettings.Kind"/>), or null.</summary>
    public static ModuleKind? Building(string settingsKind) => Kinds.FirstOrDefault(kind => kind.SettingKinds.Contains(settingsKind));

    /// <summary>The kind's name, as a compacted model's file records it.</summary>
    public abstract string Name { get; }

    /// <summary>Whether this kind handles <paramref name="module"/>.</summary>
    public abstract bool Handles(nn.Module module);

    // ---- Settings: what a chain file records, and the module rebuilt from it.

    /// <summary>The <see cref="ModuleSettings.Kind"/> values this kind reads and builds (none for a kind chains do not hold).</summary>
    public virtual IReadOnlyList<string> SettingKinds => [];

    /// <summary>The module's constructor settings (without its dtype); null when chains do not hold this module.</summary>
    public virtual ModuleSettings? Read(nn.Module module) => null;

    /// <summary>A fresh module of <paramref name="settings"/> on <paramref name="device"/>, initialised as TorchSharp initialises a new one.</summary>
    /// <exception cref="InvalidDataException">A setting the kind needs is missing or has the wrong number of entries.</exception>
    public virtual nn.Module<Tensor, Tensor> Create(ModuleSettings settings, Device? device) =>
        throw new NotSupportedException($"'{settings.Kind}' is not a module kind this version of Lottery can build (it builds {ModuleSettings.Supported}).");

    /// <summary>The settings of a Linear or convolution with <paramref name="inputs"/> input and <paramref name="outputs"/> output units.</summary>
    public virtual ModuleSettings WithUnits(ModuleSettings settings, long inputs, long outputs, bool bias) =>
        throw new InvalidOperationException($"A {settings.Kind} has no units to resize.");

    // ---- Chain compaction ([Chain]): how a unit passes through the module.

    /// <summary>What the module is in a chain compaction reads unit by unit; null when chains cannot hold it.</summary>
    /// <param name="module">The module.</param>
    /// <param name="description">"Module 3 ('fc2') of the chain is a Linear", for errors about this module's settings.</param>
    /// <exception cref="NotSupportedException">The module's settings keep it out of chain compaction; the message says why.</exception>
    public virtual LinkKind? ChainLink(nn.Module module, string description) => null;

    /// <summary>
    /// Whether the module, given samples of <paramref name="rank"/> axes, keeps a unit on axis 0 of its sample (a Linear
    /// needs a vector, a Conv2d an image), and if not, what it needs.
    /// </summary>
    public virtual (bool Allowed, string Expected) ChainShape(nn.Module module, int rank) => (true, string.Empty);

    // ---- Export.

    /// <summary>Writes the module's ONNX nodes and initialisers through <paramref name="writer"/> and returns its output's name.</summary>
    /// <param name="writer">The module's writer: its input, graph, weights and node helpers.</param>
    /// <param name="settings">The module's settings, when <see cref="Read"/> gives them.</param>
    /// <exception cref="NotSupportedException">This module's settings have no ONNX form; the message names the layer.</exception>
    public abstract string WriteOnnx(OnnxExport.Writer writer, ModuleSettings? settings);

    /// <summary>The module's PyTorch constructor call (<c>nn.Linear(784, 300, bias=True)</c>).</summary>
    /// <exception cref="NotSupportedException">This module's settings have no PyTorch form; the message names the layer.</exception>
    public abstract string Python(nn.Module module, ModuleSettings? settings, PythonLayer layer);

    // ---- Cost.

    /// <summary>
    /// The weight whose surviving entries each cost a multiply-add at each position the module is applied at, its name on
    /// the module, and the module's output units (so that positions = the output's entries over them); null for a module
    /// that multiplies by no weight.
    /// </summary>
    public virtual (Tensor Weight, string Parameter, long Outputs)? Cost(nn.Module module) => null;

    // ---- Compaction in place.

    /// <summary>Whether compaction in place can change the size of modules of this kind.</summary>
    public virtual bool CanResize => false;

    /// <summary>Whether compaction in place can change <paramref name="module"/>'s size (a LayerNorm's over one dimension only).</summary>
    public virtual bool Resizes(nn.Module module) => CanResize;

    /// <summary>The sizes that fix the module's parameter shapes (a Linear's inputs and outputs, a convolution's channels and groups).</summary>
    public virtual IReadOnlyDictionary<string, long> Sizes(nn.Module module) => throw NotResizable();

    /// <summary>Sets the module's own sizes to <paramref name="sizes"/>, after its parameters and buffers were given the matching shapes.</summary>
    public virtual void Resize(nn.Module module, IReadOnlyDictionary<string, long> sizes) => throw NotResizable();

    /// <summary>The sizes the module has once its parameters have the shapes they now have (after slicing).</summary>
    public virtual IReadOnlyDictionary<string, long> SizesFromParameters(nn.Module module, IReadOnlyDictionary<string, long> before) => throw NotResizable();

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

    /// <summary>A module over channels keeps them apart on samples of (channels, length) when 1-d, (channels, height, width) when 2-d.</summary>
    protected static (bool Allowed, string Expected) ChannelsShape(bool oneDimensional, int rank) => oneDimensional
        ? (rank == 2, "a sample of two axes (channels, length)")
        : (rank == 3, "a sample of three axes (channels, height, width)");

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

    /// <summary>The settings of a kind chains do not hold: its ONNX or PyTorch writer needs them.</summary>
    protected static ModuleSettings Need(ModuleSettings? settings, OnnxExport.Writer writer) =>
        settings ?? throw writer.Unsupported($"it is a {writer.Module.GetType().Name} Lottery cannot read the settings of");

    private InvalidOperationException NotResizable() => new($"Compaction in place does not resize a {Name}.");
}
