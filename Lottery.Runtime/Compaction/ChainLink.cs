using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>How compaction treats a module: what happens to units and to the constant values of removed units in it.</summary>
internal enum LinkKind
{
    /// <summary>Linear, Conv1d or Conv2d: its output units can be removed, its inputs sliced, constants folded into its bias.</summary>
    Prunable,

    /// <summary>An activation applied to each value alone: a constant input gives a constant output.</summary>
    Elementwise,

    /// <summary>BatchNorm with running statistics: at inference an affine map per feature, sliced with its features.</summary>
    BatchNorm,

    /// <summary>Max or average pooling: each channel alone, over its spatial positions.</summary>
    Pool,

    /// <summary>Flatten: may merge the unit axis with the axes after it, so that one unit spans several features.</summary>
    Flatten,

    /// <summary>Identity, and dropout (the identity at inference).</summary>
    Passthrough,
}

/// <summary>
/// One module of the chain with the shapes of one sample going in and out (batch axis left out), and the type and
/// device of the values it receives.
/// </summary>
internal sealed record ChainLink(int Index, string Name, nn.Module Module, LinkKind Kind, long[] InputShape, long[] OutputShape, ScalarType InputType, Device Device)
{
    /// <summary>How an error message names the module.</summary>
    public string Description => $"module {Index} ('{Name}', {Module.GetType().Name})";

    /// <summary>Runs the module on a batch.</summary>
    public Tensor Call(Tensor input) => ((nn.IModule<Tensor, Tensor>)Module).call(input);
}
