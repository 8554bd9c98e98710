using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Lottery.Inference;

/// <summary>One layer of a sparse chain: <c>y = relu?(W x + b)</c>.</summary>
/// <param name="Weight">The surviving weights, [out, in].</param>
/// <param name="Bias">One value per output, or null.</param>
/// <param name="Relu">Whether a ReLU follows the layer.</param>
internal readonly record struct SparseStage(CsrMatrix Weight, float[]? Bias, bool Relu);

/// <summary>
/// The multiply-adds of sparse layers on raw float memory, for a <see cref="CsrMatrix"/> <c>W</c>: one sample as a
/// matrix-vector product, or a batch at once in transposed (feature-major) layout, through a chain of layers without
/// leaving managed memory between them.
/// </summary>
/// <remarks>
/// The kernels are compiled fully optimised on first use (<see cref="MethodImplOptions.AggressiveOptimization"/>):
/// under tiered compilation a first call would run unoptimised code, and <see cref="SparsePath.Auto"/> times exactly
/// the first call of each batch-size bucket. They run on the calling thread: on the shared 2-core machine they were
/// measured on, splitting rows over two threads with <c>Parallel.For</c> never won in median (784-300 at 7%, batch 64:
/// 95 us split against 69 us not; at 20%, batch 256: 810 us both ways, and 7 ms when LibTorch's own threads had just
/// run), so it was left out.
/// </remarks>
internal static unsafe class CsrKernels
{
    /// <summary>
    /// Runs <paramref name="stages"/> one after another on <paramref name="x"/> ([batch, first layer's in]), writing
    /// the last one's output to <paramref name="y"/> ([batch, last layer's out]). A single sample goes through
    /// matrix-vector products; a batch is transposed once into pooled buffers, multiplied layer by layer by
    /// <see cref="MultiplyTransposed"/>, and transposed back once. The transposed product wins from two samples on
    /// (at two the two are even; at four it takes 16 us where four vector products take 28 us, on the benchmark's
    /// 784-300 layer at 7%).
    /// </summary>
    public static void Run(ReadOnlySpan<SparseStage> stages, float* x, float* y, int batch)
    {
        var widest = 0;
        foreach (var stage in stages)
        {
            widest = Math.Max(widest, Math.Max(stage.Weight.Rows, stage.Weight.Columns));
        }

        var stride = batch == 1 ? 1 : PaddedBatch(batch);
        var first = stages[0].Weight;
        var last = stages[^1].Weight;
        var size = (long)widest * stride;
        var buffers = ArrayPool<float>.Shared;
        var evenBuffer = buffers.Rent(checked((int)size));
        var oddBuffer = buffers.Rent(checked((int)size));
        try
        {
            fixed (float* even = evenBuffer, odd = oddBuffer)
            {
                // A batch starts transposed in the first buffer; stage outputs alternate between the two, from the second.
                var input = x;
                if (batch > 1)
                {
                    Transpose(x, batch, first.Columns, first.Columns, even, stride);
                    input = even;
                }

                for (var index = 0; index < stages.Length; index++)
                {
                    var stage = stages[index];
                    var output = batch == 1 && index == stages.Length - 1 ? y : index % 2 == 0 ? odd : even;
                    fixed (float* bias = stage.Bias)
                    {
                        if (batch == 1)
                        {
                            MultiplyVector(stage.Weight, bias, input, output, stage.Relu);
                        }
                        else
                        {
                            MultiplyTransposed(stage.Weight, bias, input, output, stride, stage.Relu);
                        }
                    }

                    input = output;
                }

                if (batch > 1)
                {
                    Transpose(input, last.Rows, batch, stride, y, last.Rows);
                }
            }
        }
        finally
        {
            buffers.Return(evenBuffer);
            buffers.Return(oddBuffer);
        }
    }

    /// <summary>
    /// <c>y[i] = relu?(bias[i] + sum over stored k of values[k] * x[columns[k]])</c>; <paramref name="bias"/> may be
    /// null.
    /// </summary>
    /// <remarks>
    /// Scalar loads: an AVX2 gather of eight entries at a time measured no faster (8.5 us against 8.3 us on the
    /// benchmark's 784-300 layer at 7%, on an AMD EPYC).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyVector(CsrMatrix weight, float* bias, float* x, float* y, bool relu)
    {
        fixed (int* rows = weight.rowPointers, columns = weight.columnIndices)
        fixed (float* values = weight.values)
        {
            for (var row = 0; row < weight.Rows; row++)
            {
                var k = rows[row];
                var last = rows[row + 1];

                // Four independent sums hide the latency of the loads and of the adds.
                float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
                for (; k + 4 <= last; k += 4)
                {
                    sum0 += values[k] * x[columns[k]];
                    sum1 += values[k + 1] * x[columns[k + 1]];
                    sum2 += values[k + 2] * x[columns[k + 2]];
                    sum3 += values[k + 3] * x[columns[k + 3]];
                }

                for (; k < last; k++)
                {
                    sum0 += values[k] * x[columns[k]];
                }

                var sum = (bias is null ? 0f : bias[row]) + (sum0 + sum1) + (sum2 + sum3);
                y[row] = relu && sum < 0 ? 0 : sum;
            }
        }
    }

    /// <summary>
    /// The transposed product <c>yt[i, :] = relu?(bias[i] + sum over stored k of values[k] * xt[columns[k], :])</c>,
    /// where <paramref name="xt"/> is [columns, stride] and <paramref name="yt"/> is
    /// [rows, stride], both contiguous, with the batch along the stride; <paramref name="bias"/> may be null.
    /// </summary>
    /// <remarks>
    /// <paramref name="stride"/> is a multiple of the <see cref="Vector{T}"/> width (see <see cref="PaddedBatch"/>):
    /// the padding columns are computed and ignored, which spares a scalar tail. The batch is cut into tiles of four
    /// vector widths (then single widths), whose running sums stay in registers while a row's entries stream past:
    /// each stored weight is loaded once per tile and each output written once.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTransposed(CsrMatrix weight, float* bias, float* xt, float* yt, int stride, bool relu)
    {
        var width = Vector<float>.Count;
        fixed (int* rows = weight.rowPointers, columns = weight.columnIndices)
        fixed (float* values = weight.values)
        {
            var tile = 0;
            for (; tile + (4 * width) <= stride; tile += 4 * width)
            {
                for (var row = 0; row < weight.Rows; row++)
                {
                    var sum0 = new Vector<float>(bias is null ? 0f : bias[row]);
                    var sum1 = sum0;
                    var sum2 = sum0;
                    var sum3 = sum0;

                    // A second set of sums for odd entries: eight independent chains keep both FMA units busy.
                    Vector<float> odd0 = default, odd1 = default, odd2 = default, odd3 = default;
                    var k = rows[row];
                    for (; k + 2 <= rows[row + 1]; k += 2)
                    {
                        var value = new Vector<float>(values[k]);
                        var source = xt + ((long)columns[k] * stride) + tile;
                        sum0 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source), value, sum0);
                        sum1 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source + width), value, sum1);
                        sum2 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source + (2 * width)), value, sum2);
                        sum3 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source + (3 * width)), value, sum3);
                        var oddValue = new Vector<float>(values[k + 1]);
                        var oddSource = xt + ((long)columns[k + 1] * stride) + tile;
                        odd0 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(oddSource), oddValue, odd0);
                        odd1 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(oddSource + width), oddValue, odd1);
                        odd2 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(oddSource + (2 * width)), oddValue, odd2);
                        odd3 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(oddSource + (3 * width)), oddValue, odd3);
                    }

                    if (k < rows[row + 1])
                    {
                        var value = new Vector<float>(values[k]);
                        var source = xt + ((long)columns[k] * stride) + tile;
                        sum0 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source), value, sum0);
                        sum1 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source + width), value, sum1);
                        sum2 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source + (2 * width)), value, sum2);
                        sum3 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(source + (3 * width)), value, sum3);
                    }

                    sum0 += odd0;
                    sum1 += odd1;
                    sum2 += odd2;
                    sum3 += odd3;
                    var target = yt + ((long)row * stride) + tile;
                    Unsafe.WriteUnaligned(target, relu ? Vector.Max(sum0, Vector<float>.Zero) : sum0);
                    Unsafe.WriteUnaligned(target + width, relu ? Vector.Max(sum1, Vector<float>.Zero) : sum1);
                    Unsafe.WriteUnaligned(target + (2 * width), relu ? Vector.Max(sum2, Vector<float>.Zero) : sum2);
                    Unsafe.WriteUnaligned(target + (3 * width), relu ? Vector.Max(sum3, Vector<float>.Zero) : sum3);
                }
            }

            for (; tile < stride; tile += width)
            {
                for (var row = 0; row < weight.Rows; row++)
                {
                    var sum = new Vector<float>(bias is null ? 0f : bias[row]);
                    Vector<float> sum1 = default, sum2 = default, sum3 = default;
                    var k = rows[row];
                    for (; k + 4 <= rows[row + 1]; k += 4)
                    {
                        sum = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xt + ((long)columns[k] * stride) + tile), new Vector<float>(values[k]), sum);
                        sum1 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xt + ((long)columns[k + 1] * stride) + tile), new Vector<float>(values[k + 1]), sum1);
                        sum2 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xt + ((long)columns[k + 2] * stride) + tile), new Vector<float>(values[k + 2]), sum2);
                        sum3 = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xt + ((long)columns[k + 3] * stride) + tile), new Vector<float>(values[k + 3]), sum3);
                    }

                    for (; k < rows[row + 1]; k++)
                    {
                        sum = Vector.FusedMultiplyAdd(Unsafe.ReadUnaligned<Vector<float>>(xt + ((long)columns[k] * stride) + tile), new Vector<float>(values[k]), sum);
                    }

                    sum += (sum1 + sum2) + sum3;
                    Unsafe.WriteUnaligned(yt + ((long)row * stride) + tile, relu ? Vector.Max(sum, Vector<float>.Zero) : sum);
                }
            }
        }
    }

    /// <summary>The stride of a transposed batch: <paramref name="batch"/> rounded up to a whole number of vectors.</summary>
    public static int PaddedBatch(int batch) => (batch + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;

    /// <summary>
    /// <c>destination[c, r] = source[r, c]</c> for the first <paramref name="rows"/> by <paramref name="columns"/>
    /// entries of row-major matrices whose rows are <paramref name="sourceStride"/> and
    /// <paramref name="destinationStride"/> floats apart: 8 by 8 blocks in AVX registers where the CPU has them, the
    /// edges one entry at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* source, int rows, int columns, int sourceStride, float* destination, int destinationStride)
    {
        var blockRows = 0;
        var blockColumns = 0;
        if (Avx.IsSupported)
        {
            blockRows = rows / 8 * 8;
            blockColumns = columns / 8 * 8;
            for (var row = 0; row < blockRows; row += 8)
            {
                for (var column = 0; column < blockColumns; column += 8)
                {
                    Transpose8x8(source + ((long)row * sourceStride) + column, sourceStride, destination + ((long)column * destinationStride) + row, destinationStride);
                }
            }
        }

        // What the blocks left: the rows below them across all columns, then the columns to their right.
        for (var row = blockRows; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                destination[((long)column * destinationStride) + row] = source[((long)row * sourceStride) + column];
            }
        }

        for (var row = 0; row < blockRows; row++)
        {
            for (var column = blockColumns; column < columns; column++)
            {
                destination[((long)column * destinationStride) + row] = source[((long)row * sourceStride) + column];
            }
        }
    }

    /// <summary>Transposes one 8 by 8 block: interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, int sourceStride, float* destination, int destinationStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + (2 * sourceStride));
        var r3 = Avx.LoadVector256(source + (3 * sourceStride));
        var r4 = Avx.LoadVector256(source + (4 * sourceStride));
        var r5 = Avx.LoadVector256(source + (5 * sourceStride));
        var r6 = Avx.LoadVector256(source + (6 * sourceStride));
        var r7 = Avx.LoadVector256(source + (7 * sourceStride));

        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(destination, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(destination + (2 * destinationStride), Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(destination + (3 * destinationStride), Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(destination + (4 * destinationStride), Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(destination + (5 * destinationStride), Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(destination + (6 * destinationStride), Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(destination + (7 * destinationStride), Avx.Permute2x128(s3, s7, 0x31));
    }
}
