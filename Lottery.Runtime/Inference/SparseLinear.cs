using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>
/// An inference-only copy of a pruned <see cref="Linear"/> layer that skips its pruned weights: the weight is kept in
/// compressed sparse rows (<see cref="CsrMatrix"/>) in managed arrays and multiplied by a vectorised C# kernel. For
/// batches where that is not faster (low sparsity, large batches) it runs LibTorch's dense <c>linear</c> with the
/// masked weight instead, chosen per batch size by <see cref="Path"/>.
/// </summary>
/// <remarks>
/// Takes float32 CPU input of shape [batch, in] or [in] and returns [batch, out] or [out]. No gradient flows through
/// it. The layer is a snapshot: later changes to the source layer's weights do not reach it.
/// </remarks>
public sealed class SparseLinear : nn.Module<Tensor, Tensor>
{
    private readonly float[]? bias;
    private readonly Tensor denseWeight;
    private readonly Tensor? denseBias;
    private readonly SparseStage[] stage; // One stage, kept as an array: a forward call passes it as a span.
    private readonly PathChooser chooser = new();

    /// <summary>
    /// Copies <paramref name="layer"/>'s weight and bias, dropping the entries where <paramref name="mask"/> (of the
    /// weight's shape) is 0 and where the weight is 0. Without a mask, the layer's own <c>weight_mask</c> buffer (see
    /// <see cref="MaskSet"/>) is used if it has one. This is the constructor generated code calls with a layer and its
    /// mask.
    /// </summary>
    /// <exception cref="ArgumentException">The mask's shape differs from the weight's.</exception>
    public SparseLinear(Linear layer, Tensor? mask = null, SparsePath path = SparsePath.Auto)
        : base(nameof(SparseLinear))
    {
        ArgumentNullException.ThrowIfNull(layer);
        var weight = layer.weight ?? throw new ArgumentException("The Linear layer has no weight.", nameof(layer));
        mask ??= SparseInference.WeightMask(layer);
        var masked = CsrMatrix.MaskedValues(weight, mask);
        InFeatures = (int)layer.in_features;
        OutFeatures = (int)layer.out_features;
        Weight = CsrMatrix.FromDense(masked, OutFeatures, InFeatures);
        Path = path;

        denseWeight = tensor(masked, [OutFeatures, InFeatures], ScalarType.Float32).DetachFromDisposeScope();
        register_buffer("weight", denseWeight);
        if (layer.bias is { } layerBias)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            bias = layerBias.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
            denseBias = tensor(bias, [OutFeatures], ScalarType.Float32).DetachFromDisposeScope();
            register_buffer("bias", denseBias);
        }

        stage = [new SparseStage(Weight, bias, Relu: false)];
        eval();
    }

    /// <summary>The width of the input: the last dimension a forward call accepts.</summary>
    public int InFeatures { get; }

    /// <summary>The width of the output.</summary>
    public int OutFeatures { get; }

    /// <summary>The surviving weights, [out, in], in compressed sparse rows.</summary>
    public CsrMatrix Weight { get; }

    /// <summary>The bias (one value per output), or empty when the layer has none.</summary>
    public ReadOnlySpan<float> Bias => bias;

    /// <summary>Whether the layer has a bias.</summary>
    public bool HasBias => bias is not null;

    /// <summary>Fraction of the weights that survived (stored nonzero entries over in times out).</summary>
    public double Density => Weight.Density;

    /// <summary>
    /// Which kernel forward calls run: <see cref="SparsePath.Auto"/> (the default) times both per batch-size bucket
    /// and keeps the faster; <see cref="SparsePath.Sparse"/> or <see cref="SparsePath.Dense"/> force one.
    /// </summary>
    public SparsePath Path { get; set; }

    /// <summary>
    /// The kernel a forward call with <paramref name="batchSize"/> samples runs: the forced one when <see cref="Path"/>
    /// forces one, otherwise the one <see cref="SparsePath.Auto"/> measured as faster for that batch size's bucket, or
    /// null when no call in the bucket has been measured yet.
    /// </summary>
    public SparsePath? ChosenPath(long batchSize) => Path == SparsePath.Auto ? chooser.Chosen(batchSize) : Path;

    /// <summary>
    /// <c>input W^T + b</c> with the surviving weights, by the kernel <see cref="Path"/> picks for this batch size.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not float32, not on the CPU, or not of shape [batch, <see cref="InFeatures"/>] or [<see cref="InFeatures"/>].</exception>
    public override Tensor forward(Tensor input)
    {
        var batch = CheckInput(input);
        var path = ChosenPath(batch) ?? MeasurePaths(input, batch);
        return path == SparsePath.Sparse ? ForwardSparse(input) : ForwardDense(input);
    }

    /// <summary>Times both paths on this input for its batch-size bucket (apart from <see cref="forward"/>, whose calls would otherwise all allocate the lambdas' closure).</summary>
    private SparsePath MeasurePaths(Tensor input, long batch) => chooser.Measure(batch, () => ForwardSparse(input), () => ForwardDense(input));

    /// <summary>The sparse kernel, on input already checked: reads the input's memory and writes the new output tensor's.</summary>
    internal Tensor ForwardSparse(Tensor input) => SparseInference.RunSparse(stage, input, OutFeatures);

    /// <summary>This layer as a stage of a sparse chain, optionally followed by ReLU.</summary>
    internal SparseStage Stage(bool relu) => stage[0] with { Relu = relu };

    /// <summary>LibTorch's dense <c>linear</c> with the masked weight.</summary>
    internal Tensor ForwardDense(Tensor input)
    {
        using var noGrad = no_grad();
        return nn.functional.linear(input, denseWeight, denseBias);
    }

    /// <summary>The batch size of a valid input.</summary>
    private long CheckInput(Tensor input) => SparseInference.CheckInput(input, $"SparseLinear({InFeatures} -> {OutFeatures})", InFeatures);
}
