using System.Runtime.InteropServices;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>Turns a pruned model into one whose sparse Linear layers skip their pruned weights at inference.</summary>
public static class SparseInference
{
    /// <summary>
    /// The default largest weight density that <see cref="Convert"/> makes sparse. On the benchmark's 784-300 layer
    /// the sparse kernel still won at 20% (batch 1: 19 us against 21 us dense) and lost at 30% at every batch size but
    /// 8 (batch 1: 29 us against 21 us), so a denser layer would only add a measurement.
    /// </summary>
    public const double DefaultMaxDensity = 0.25;

    /// <summary>
    /// A new Sequential, in eval mode, with the modules of <paramref name="model"/> under the same names, except that
    /// each <see cref="Linear"/> whose weight density (<see cref="Density"/>) is at most <paramref name="maxDensity"/>
    /// becomes a <see cref="SparseLinear"/> running <paramref name="path"/>. Other modules are the same objects as in
    /// <paramref name="model"/>, not copies, so they are put in eval mode too, and disposing both Sequentials disposes
    /// them twice (harmless in TorchSharp).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDensity"/> is outside [0, 1].</exception>
    public static Sequential Convert(Sequential model, double maxDensity = DefaultMaxDensity, SparsePath path = SparsePath.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(maxDensity is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(maxDensity), maxDensity, "The largest density to convert is a fraction of the weights, in [0, 1].");
        }

        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        foreach (var (name, child) in model.named_children())
        {
            var module = child as nn.Module<Tensor, Tensor>
                ?? throw new ArgumentException($"Module '{name}' of the Sequential is a {child.GetType().Name}, not a tensor-to-tensor module.", nameof(model));
            modules.Add((name, module is Linear linear && Density(linear) <= maxDensity ? new SparseLinear(linear, path: path) : module));
        }

        var converted = nn.Sequential(modules);
        converted.eval();
        return converted;
    }

    /// <summary>
    /// A new Sequential, in eval mode, in which each run of <paramref name="converted"/>'s modules made of
    /// <see cref="SparseLinear"/> layers, each optionally followed by a <see cref="ReLU"/>, becomes one
    /// <see cref="SparseSequential"/> running <paramref name="path"/>, named by its modules' names joined with
    /// <c>_</c>. A lone SparseLinear with no ReLU after it stays as it is; other modules are kept as they are.
    /// </summary>
    public static Sequential Fuse(Sequential converted, SparsePath path = SparsePath.Auto)
    {
        ArgumentNullException.ThrowIfNull(converted);
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var run = new List<(string Name, nn.Module<Tensor, Tensor> Module)>();
        foreach (var (name, child) in converted.named_children())
        {
            var module = child as nn.Module<Tensor, Tensor>
                ?? throw new ArgumentException($"Module '{name}' of the Sequential is a {child.GetType().Name}, not a tensor-to-tensor module.", nameof(converted));
            if (module is SparseLinear || (module is ReLU && run.Count > 0 && run[^1].Module is SparseLinear))
            {
                run.Add((name, module));
            }
            else
            {
                EndRun();
                modules.Add((name, module));
            }
        }

        EndRun();
        var fused = nn.Sequential(modules);
        fused.eval();
        return fused;

        void EndRun()
        {
            if (run.Count == 1)
            {
                modules.Add(run[0]);
            }
            else if (run.Count > 1)
            {
                modules.Add((string.Join("_", run.Select(m => m.Name)), new SparseSequential(run.Select(m => m.Module).ToList(), path)));
            }

            run.Clear();
        }
    }

    /// <summary>
    /// Fraction of <paramref name="layer"/>'s weights that are nonzero and not masked out by its <c>weight_mask</c>
    /// buffer, if it has one (see <see cref="MaskSet"/>).
    /// </summary>
    public static double Density(Linear layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var weight = layer.weight ?? throw new ArgumentException("The Linear layer has no weight.", nameof(layer));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var surviving = weight.detach().ne(0);
        if (WeightMask(layer) is { } mask)
        {
            surviving = surviving.logical_and(mask.ne(0));
        }

        return weight.numel() == 0 ? 0 : (double)surviving.count_nonzero().item<long>() / weight.numel();
    }

    /// <summary>
    /// The batch size of <paramref name="input"/> ([batch, <paramref name="inFeatures"/>] or [<paramref name="inFeatures"/>]),
    /// after checking that the sparse kernels can read it.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not float32, not on the CPU, or not of that shape; the message names <paramref name="module"/>.</exception>
    internal static long CheckInput(Tensor input, string module, int inFeatures)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = input.shape;
        if (input.dtype != ScalarType.Float32 || input.device_type != TorchSharp.DeviceType.CPU || shape.Length is not (1 or 2) || shape[^1] != inFeatures)
        {
            throw new ArgumentException(
                $"{module} takes float32 CPU input of shape [batch, {inFeatures}] or [{inFeatures}]; got {input.dtype} on {input.device} with shape [{string.Join(", ", shape)}].",
                nameof(input));
        }

        return shape.Length == 1 ? 1 : shape[0];
    }

    /// <summary>
    /// Runs <paramref name="stages"/> on a checked input with the managed kernels, reading the input's memory in place
    /// (a copy only when it is not contiguous) and writing straight into the new output tensor's.
    /// </summary>
    internal static unsafe Tensor RunSparse(ReadOnlySpan<SparseStage> stages, Tensor input, int outFeatures)
    {
        var batch = input.dim() == 1 ? 1 : input.shape[0];
        var output = input.dim() == 1
            ? empty([outFeatures], ScalarType.Float32)
            : empty([batch, outFeatures], ScalarType.Float32);
        if (batch == 0)
        {
            return output;
        }

        using var contiguous = input.is_contiguous() ? null : input.contiguous();
        fixed (float* x = Floats(contiguous ?? input), y = Floats(output))
        {
            CsrKernels.Run(stages, x, y, (int)batch);
        }

        return output;
    }

    /// <summary>A contiguous CPU float32 tensor's memory, without a copy.</summary>
    private static Span<float> Floats(Tensor contiguous) => MemoryMarshal.Cast<byte, float>(contiguous.bytes);

    /// <summary>The layer's <c>weight_mask</c> buffer, or null when it has none.</summary>
    internal static Tensor? WeightMask(nn.Module layer) =>
        layer.named_buffers(recurse: false).FirstOrDefault(b => b.name == "weight" + MaskSet.MaskBufferSuffix).buffer;
}
