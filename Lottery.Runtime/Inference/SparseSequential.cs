using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>
/// A chain of <see cref="SparseLinear"/> layers, each optionally followed by a ReLU, run as one module: the sparse
/// path carries the activations between layers in pooled managed buffers, so a forward call makes one output tensor
/// instead of one per layer and activation, and a batch is transposed once instead of once per layer. The dense path
/// runs each layer's dense <c>linear</c> and LibTorch's ReLU; <see cref="Path"/> chooses between them per batch size
/// for the chain as a whole.
/// </summary>
/// <remarks>
/// At batch 1 a module call costs about 1.5 us whatever it computes (a SparseLinear of 100x10 at 7% takes that long),
/// which is much of the time of a small sparse layer: on the benchmark's 784-300-100-10 network at 7%, with 2
/// threads, the three layers and two ReLUs take about 10.5 us as one chain, 21 us as separate modules, and 41 us dense.
/// Find the runs to fuse in a converted Sequential with <see cref="SparseInference.Fuse"/>.
/// </remarks>
public sealed class SparseSequential : nn.Module<Tensor, Tensor>
{
    private readonly SparseLinear[] layers;
    private readonly bool[] relus;
    private readonly SparseStage[] stages;
    private readonly PathChooser chooser = new();

    /// <summary>
    /// Chains <paramref name="modules"/>: <see cref="SparseLinear"/> layers, each optionally followed by one
    /// <see cref="ReLU"/>, each layer's input width the previous layer's output width. The modules are registered as
    /// this module's children under their positions, not copied.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The list is empty, starts with a ReLU, holds a module that is neither, two ReLUs in a row, or layers whose widths
    /// do not chain.
    /// </exception>
    public SparseSequential(IReadOnlyList<nn.Module<Tensor, Tensor>> modules, SparsePath path = SparsePath.Auto)
        : base(nameof(SparseSequential))
    {
        ArgumentNullException.ThrowIfNull(modules);
        var chained = new List<SparseLinear>();
        var followedByRelu = new List<bool>();
        for (var index = 0; index < modules.Count; index++)
        {
            switch (modules[index])
            {
                case SparseLinear layer:
                    if (chained.Count > 0 && chained[^1].OutFeatures != layer.InFeatures)
                    {
                        throw new ArgumentException(
                            $"Module {index} takes {layer.InFeatures} inputs, but the layer before it gives {chained[^1].OutFeatures}.", nameof(modules));
                    }

                    chained.Add(layer);
                    followedByRelu.Add(false);
                    break;
                case ReLU when chained.Count > 0 && !followedByRelu[^1]:
                    followedByRelu[^1] = true;
                    break;
                default:
                    throw new ArgumentException(
                        $"Module {index} is a {modules[index].GetType().Name}; a SparseSequential chains SparseLinear layers, each followed by at most one ReLU.", nameof(modules));
            }

            register_module(index.ToString(System.Globalization.CultureInfo.InvariantCulture), modules[index]);
        }

        if (chained.Count == 0)
        {
            throw new ArgumentException("A SparseSequential needs at least one SparseLinear layer.", nameof(modules));
        }

        layers = [.. chained];
        relus = [.. followedByRelu];
        stages = layers.Select((layer, index) => layer.Stage(relus[index])).ToArray();
        Path = path;
        eval();
    }

    /// <summary>The chained layers, in order.</summary>
    public IReadOnlyList<SparseLinear> Layers => layers;

    /// <summary>The width of the input: the first layer's.</summary>
    public int InFeatures => layers[0].InFeatures;

    /// <summary>The width of the output: the last layer's.</summary>
    public int OutFeatures => layers[^1].OutFeatures;

    /// <summary>
    /// Which path forward calls run, for the whole chain: <see cref="SparsePath.Auto"/> (the default) times both per
    /// batch-size bucket and keeps the faster; <see cref="SparsePath.Sparse"/> or <see cref="SparsePath.Dense"/> force
    /// one. The layers' own <see cref="SparseLinear.Path"/> settings are not consulted.
    /// </summary>
    public SparsePath Path { get; set; }

    /// <summary>
    /// The path a forward call with <paramref name="batchSize"/> samples runs: the forced one, the one measured as
    /// faster for that batch size's bucket, or null when no call in the bucket has been measured yet.
    /// </summary>
    public SparsePath? ChosenPath(long batchSize) => Path == SparsePath.Auto ? chooser.Chosen(batchSize) : Path;

    /// <summary>The chain's output for float32 CPU input of shape [batch, <see cref="InFeatures"/>] or [<see cref="InFeatures"/>].</summary>
    /// <exception cref="ArgumentException">The input is not float32, not on the CPU, or not of that shape.</exception>
    public override Tensor forward(Tensor input)
    {
        var batch = SparseInference.CheckInput(input, $"SparseSequential({InFeatures} -> {OutFeatures})", InFeatures);
        var path = ChosenPath(batch) ?? MeasurePaths(input, batch);
        return path == SparsePath.Sparse ? ForwardSparse(input) : ForwardDense(input);
    }

    /// <summary>Times both paths on this input for its batch-size bucket (apart from <see cref="forward"/>, whose calls would otherwise all allocate the lambdas' closure).</summary>
    private SparsePath MeasurePaths(Tensor input, long batch) => chooser.Measure(batch, () => ForwardSparse(input), () => ForwardDense(input));

    private Tensor ForwardSparse(Tensor input) => SparseInference.RunSparse(stages, input, OutFeatures);

    private Tensor ForwardDense(Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = input;
        for (var index = 0; index < layers.Length; index++)
        {
            output = layers[index].ForwardDense(output);
            if (relus[index])
            {
                output = nn.functional.relu(output);
            }
        }

        return output.MoveToOuterDisposeScope();
    }
}
