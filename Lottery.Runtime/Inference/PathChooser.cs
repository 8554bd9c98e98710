using System.Diagnostics;
using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>
/// The <see cref="SparsePath.Auto"/> choice of a sparse module: which kernel is faster for each batch-size bucket,
/// found by timing both on the first call that falls in the bucket.
/// </summary>
/// <remarks>
/// Buckets rather than exact sizes, so that a serving loop with varying batch sizes measures four times, not once per
/// size. Two calls racing on an unmeasured bucket both measure and the later remembers; either answer is correct.
/// </remarks>
internal sealed class PathChooser
{
    /// <summary>Timed calls per kernel, after one untimed call each; the median decides.</summary>
    private const int TimedCalls = 5;

    /// <summary>The remembered choice per bucket: batch sizes 1, 2-8, 9-64, 65 and more.</summary>
    private readonly SparsePath?[] chosen = new SparsePath?[4];

    /// <summary>The kernel chosen for <paramref name="batchSize"/>'s bucket, or null while the bucket is unmeasured.</summary>
    public SparsePath? Chosen(long batchSize) => chosen[Bucket(batchSize)];

    /// <summary>
    /// Times <paramref name="sparse"/> and <paramref name="dense"/> on this call's input (their outputs are disposed),
    /// remembers the faster for <paramref name="batchSize"/>'s bucket, and returns it.
    /// </summary>
    public SparsePath Measure(long batchSize, Func<Tensor> sparse, Func<Tensor> dense)
    {
        var sparseTicks = new long[TimedCalls];
        var denseTicks = new long[TimedCalls];
        Time(sparse);
        Time(dense);
        for (var call = 0; call < TimedCalls; call++)
        {
            // Interleaved, so that a burst of load from elsewhere slows both kernels alike.
            sparseTicks[call] = Time(sparse);
            denseTicks[call] = Time(dense);
        }

        var faster = Median(sparseTicks) <= Median(denseTicks) ? SparsePath.Sparse : SparsePath.Dense;
        chosen[Bucket(batchSize)] = faster;
        return faster;
    }

    private static int Bucket(long batchSize) => batchSize switch
    {
        <= 1 => 0,
        <= 8 => 1,
        <= 64 => 2,
        _ => 3,
    };

    private static long Time(Func<Tensor> kernel)
    {
        var start = Stopwatch.GetTimestamp();
        kernel().Dispose();
        return Stopwatch.GetTimestamp() - start;
    }

    private static long Median(long[] ticks)
    {
        var sorted = ticks.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
