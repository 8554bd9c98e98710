using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lottery.Training.Sparse;

/// <summary>
/// The products of a sparse Linear's training step on a batch held feature-major ([features, stride], the batch along
/// each row, padded with zeros to a whole number of 8-float vectors): the output (sparse rows times the input), the
/// input's gradient (sparse columns times the output's gradient) and the surviving weights' gradient (each a dot product
/// of an output gradient row with an input row, over the batch).
/// </summary>
/// <remarks>
/// Reproducible on any CPU: the vectors are always 8 floats (<see cref="Vector256{T}"/>, software where the CPU lacks
/// AVX), never <c>Vector&lt;float&gt;.Count</c>; each sample's sum adds the entries in one fixed order with fused
/// multiply-adds (exactly rounded, so the same in hardware and software); and a dot product over the batch ends in one
/// fixed order of additions. Compiled fully optimised on first use.
/// </remarks>
internal static unsafe class SparseTrainingKernels
{
    /// <summary>The floats of one vector.</summary>
    public const int Lanes = 8;

    /// <summary>The row length of a feature-major batch: the batch rounded up to whole vectors.</summary>
    public static int Stride(int batch) => (batch + Lanes - 1) / Lanes * Lanes;

    // Below this many multiply-adds, a product stays on one thread: starting the others would cost more than it saves.
    private const long ParallelWork = 1L << 17;

    /// <summary>
    /// <see cref="Multiply(int, int*, int*, float*, float*, float*, float*, int)"/>, its rows split into consecutive ranges of about equal entries, one per thread of
    /// <paramref name="threads"/>: each row is still computed whole by one thread in its one order, so the figures do not
    /// depend on the number of threads.
    /// </summary>
    public static void Multiply(int rows, int* pointers, int* indices, float* values, float* start, float* source, float* target, int stride, int threads)
    {
        var parts = Parts(pointers[rows], stride, threads);
        if (parts <= 1)
        {
            Multiply(rows, pointers, indices, values, start, source, target, stride);
            return;
        }

        var (p, i, v, s, x, y) = ((nint)pointers, (nint)indices, (nint)values, (nint)start, (nint)source, (nint)target);
        Parallel.For(0, parts, part =>
        {
            var (first, end) = Range((int*)p, rows, part, parts);
            Multiply(end - first, (int*)p + first, (int*)i, (float*)v, s == 0 ? null : (float*)s + first, (float*)x, (float*)y + ((long)first * stride), stride);
        });
    }

    /// <summary><see cref="SampledProduct(int, int*, int*, float*, float*, int, float*)"/>, its rows split as <see cref="Multiply(int, int*, int*, float*, float*, float*, float*, int, int)"/> splits them.</summary>
    public static void SampledProduct(int rows, int* pointers, int* indices, float* left, float* right, int stride, float* result, int threads)
    {
        var parts = Parts(pointers[rows], stride, threads);
        if (parts <= 1)
        {
            SampledProduct(rows, pointers, indices, left, right, stride, result);
            return;
        }

        var (p, i, l, r, o) = ((nint)pointers, (nint)indices, (nint)left, (nint)right, (nint)result);
        Parallel.For(0, parts, part =>
        {
            var (first, end) = Range((int*)p, rows, part, parts);
            SampledProduct(end - first, (int*)p + first, (int*)i, (float*)l + ((long)first * stride), (float*)r, stride, (float*)o);
        });
    }

    private static int Parts(int entries, int stride, int threads) =>
        threads <= 1 || (long)entries * stride < ParallelWork ? 1 : (int)Math.Min(threads, Math.Max(1, (long)entries * stride / ParallelWork));

    // The rows of part k of n: the first row whose entries start at or after k/n of all entries, to the next part's.
    private static (int First, int End) Range(int* pointers, int rows, int part, int parts)
    {
        int Boundary(int k)
        {
            if (k == parts)
            {
                return rows;
            }

            var target = (long)pointers[rows] * k / parts;
            var (low, high) = (0, rows);
            while (low < high)
            {
                var middle = (low + high) / 2;
                if (pointers[middle] < target)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }

        return (Boundary(part), Boundary(part + 1));
    }

    /// <summary>
    /// <c>target[r] = start[r] + sum over k in row r of values[k] * source[indices[k]]</c>, for rows of
    /// <paramref name="stride"/> floats; <paramref name="start"/> null starts from zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int rows, int* pointers, int* indices, float* values, float* start, float* source, float* target, int stride)
    {
        for (var row = 0; row < rows; row++)
        {
            var first = pointers[row];
            var end = pointers[row + 1];
            var initial = Vector256.Create(start is null ? 0f : start[row]);
            var output = target + ((long)row * stride);
            var tile = 0;

            // Four vectors of samples at once: four independent sums per entry read.
            for (; tile + (4 * Lanes) <= stride; tile += 4 * Lanes)
            {
                var sum0 = initial;
                var sum1 = initial;
                var sum2 = initial;
                var sum3 = initial;
                for (var k = first; k < end; k++)
                {
                    var value = Vector256.Create(values[k]);
                    var input = source + ((long)indices[k] * stride) + tile;
                    sum0 = Vector256.FusedMultiplyAdd(Vector256.Load(input), value, sum0);
                    sum1 = Vector256.FusedMultiplyAdd(Vector256.Load(input + Lanes), value, sum1);
                    sum2 = Vector256.FusedMultiplyAdd(Vector256.Load(input + (2 * Lanes)), value, sum2);
                    sum3 = Vector256.FusedMultiplyAdd(Vector256.Load(input + (3 * Lanes)), value, sum3);
                }

                sum0.Store(output + tile);
                sum1.Store(output + tile + Lanes);
                sum2.Store(output + tile + (2 * Lanes));
                sum3.Store(output + tile + (3 * Lanes));
            }

            for (; tile < stride; tile += Lanes)
            {
                var sum = initial;
                for (var k = first; k < end; k++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Load(source + ((long)indices[k] * stride) + tile), Vector256.Create(values[k]), sum);
                }

                sum.Store(output + tile);
            }
        }
    }

    /// <summary>
    /// <c>result[k] = sum over samples of left[r] * right[indices[k]]</c> for each entry k of row r: the gradient of the
    /// surviving weights, the output gradient's row against the input's row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SampledProduct(int rows, int* pointers, int* indices, float* left, float* right, int stride, float* result)
    {
        for (var row = 0; row < rows; row++)
        {
            var gradient = left + ((long)row * stride);
            var k = pointers[row];
            var end = pointers[row + 1];

            // Four entries at once: four independent sums over the batch.
            for (; k + 4 <= end; k += 4)
            {
                var a = right + ((long)indices[k] * stride);
                var b = right + ((long)indices[k + 1] * stride);
                var c = right + ((long)indices[k + 2] * stride);
                var d = right + ((long)indices[k + 3] * stride);
                Vector256<float> sumA = default, sumB = default, sumC = default, sumD = default;
                for (var tile = 0; tile < stride; tile += Lanes)
                {
                    var g = Vector256.Load(gradient + tile);
                    sumA = Vector256.FusedMultiplyAdd(g, Vector256.Load(a + tile), sumA);
                    sumB = Vector256.FusedMultiplyAdd(g, Vector256.Load(b + tile), sumB);
                    sumC = Vector256.FusedMultiplyAdd(g, Vector256.Load(c + tile), sumC);
                    sumD = Vector256.FusedMultiplyAdd(g, Vector256.Load(d + tile), sumD);
                }

                result[k] = Total(sumA);
                result[k + 1] = Total(sumB);
                result[k + 2] = Total(sumC);
                result[k + 3] = Total(sumD);
            }

            for (; k < end; k++)
            {
                var a = right + ((long)indices[k] * stride);
                Vector256<float> sum = default;
                for (var tile = 0; tile < stride; tile += Lanes)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Load(gradient + tile), Vector256.Load(a + tile), sum);
                }

                result[k] = Total(sum);
            }
        }
    }

    /// <summary>
    /// <c>destination[c, r] = source[r, c]</c> for <paramref name="rows"/> by <paramref name="columns"/> row-major floats,
    /// rows <paramref name="sourceStride"/> and <paramref name="destinationStride"/> apart; with
    /// <paramref name="zeroPadding"/>, the destination's columns from <paramref name="rows"/> to its stride are zeroed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* source, int rows, int columns, int sourceStride, float* destination, int destinationStride, bool zeroPadding)
    {
        Inference.CsrKernels.Transpose(source, rows, columns, sourceStride, destination, destinationStride);
        if (zeroPadding && destinationStride > rows)
        {
            for (var column = 0; column < columns; column++)
            {
                new Span<float>(destination + ((long)column * destinationStride) + rows, destinationStride - rows).Clear();
            }
        }
    }

    /// <summary>The eight lanes added in one fixed order: halves, then pairs, then the last two.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Total(Vector256<float> sum)
    {
        var half = sum.GetLower() + sum.GetUpper();
        return (half.GetElement(0) + half.GetElement(2)) + (half.GetElement(1) + half.GetElement(3));
    }
}
