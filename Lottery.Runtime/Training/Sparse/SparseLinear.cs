using System.Buffers;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Training.Sparse;

/// <summary>
/// A Linear layer's product computed over its surviving weights only, forward and backward: <c>y = x W^T + b</c> with
/// <c>W</c> read from the dense weight at a <see cref="SparsePattern"/>'s positions. Its gradients are the input's
/// (<c>dY W</c>, over the surviving weights) and the surviving weights' (<c>dY^T x</c> at those positions only; every
/// pruned position's gradient is exactly zero), as a TorchSharp autograd function, so any model, loss and optimizer
/// uses it unchanged. It equals the dense product by the masked weight up to the order of the additions.
/// </summary>
public static class SparseLinear
{
    /// <summary>
    /// <c>input W^T + bias</c> over the entries of <paramref name="pattern"/>: <paramref name="input"/> is float32 on the
    /// CPU, [batch, in] or [in]. <paramref name="weight"/> is either the dense float32 [out, in] weight (its entries
    /// outside the pattern are not read, and get a zero gradient) or the surviving weights alone, [nonzero count] in the
    /// pattern's row order (<see cref="SparsePattern.Gather"/>), whose gradient and optimizer state then hold those
    /// entries only: the optimizer's step costs what the surviving weights cost.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor's shape, type or device does not fit; the message says which.</exception>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor? bias, SparsePattern pattern)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(pattern);
        Check(input, weight, bias, pattern);
        if (input.dim() == 1)
        {
            using var batch = input.unsqueeze(0);
            using var output = Forward(batch, weight, bias, pattern);
            return output.squeeze(0);
        }

        // Without a gradient to compute (evaluation, no_grad), the product alone: nothing is kept for a backward pass.
        var tracked = is_grad_enabled() && (input.requires_grad || weight.requires_grad || (bias?.requires_grad ?? false));
        return tracked ? Function.apply(input, weight, bias!, pattern) : Product(input, weight, bias, pattern, keep: false).Output;
    }

    private static void Check(Tensor input, Tensor weight, Tensor? bias, SparsePattern pattern)
    {
        string? problem = null;
        if (!(weight.dim() == 2 && weight.shape[0] == pattern.Rows && weight.shape[1] == pattern.Columns) && !(weight.dim() == 1 && weight.shape[0] == pattern.NonZeroCount))
        {
            problem = $"the weight has shape [{string.Join(", ", weight.shape)}], its pattern [{pattern.Rows}, {pattern.Columns}] with {pattern.NonZeroCount} entries; give the dense weight or its surviving entries, and rebuild the pattern from the weight's mask after each pruning event";
        }
        else if (input.dim() is not (1 or 2) || input.shape[^1] != pattern.Columns)
        {
            problem = $"the input has shape [{string.Join(", ", input.shape)}]; give [batch, {pattern.Columns}] or [{pattern.Columns}]";
        }
        else if (bias is not null && (bias.dim() != 1 || bias.shape[0] != pattern.Rows))
        {
            problem = $"the bias has shape [{string.Join(", ", bias.shape)}]; give [{pattern.Rows}]";
        }
        else if (new[] { input, weight, bias }.Any(t => t is not null && (t.dtype != ScalarType.Float32 || t.device_type != DeviceType.CPU)))
        {
            problem = "the sparse training path computes float32 tensors on the CPU";
        }

        if (problem is not null)
        {
            throw new ArgumentException($"SparseLinear.Forward: {problem}.");
        }
    }

    private static Span<float> Floats(Tensor contiguous) => MemoryMarshal.Cast<byte, float>(contiguous.bytes);

    /// <summary>
    /// The product <c>input W^T + bias</c> at the pattern, into a new [batch, out] tensor; with <paramref name="keep"/>,
    /// also what the backward pass reads (the input feature-major and the surviving weights, in pooled arrays it returns).
    /// </summary>
    private static unsafe (Tensor Output, State? Saved) Product(Tensor input, Tensor weight, Tensor? bias, SparsePattern pattern, bool keep)
    {
        var batch = (int)input.shape[0];
        var stride = SparseTrainingKernels.Stride(batch);
        var pool = ArrayPool<float>.Shared;
        var inputT = pool.Rent(Math.Max(1, pattern.Columns * stride));
        var outputT = pool.Rent(Math.Max(1, pattern.Rows * stride));
        var values = pool.Rent(Math.Max(1, pattern.NonZeroCount));
        var output = empty([batch, pattern.Rows], ScalarType.Float32);
        try
        {
            using var x = input.detach().contiguous();
            using var w = weight.detach().contiguous();
            using var b = bias?.detach().contiguous();
            if (w.dim() == 1)
            {
                Floats(w).CopyTo(values);   // the surviving weights themselves
            }
            else
            {
                var dense = Floats(w);
                var positions = pattern.Positions;
                for (var k = 0; k < positions.Length; k++)
                {
                    values[k] = dense[positions[k]];
                }
            }

            fixed (float* xp = Floats(x), xt = inputT, yt = outputT, v = values, y = Floats(output))
            fixed (float* bp = b is null ? default : Floats(b))
            fixed (int* rows = pattern.RowPointers, columns = pattern.ColumnIndices)
            {
                if (batch > 0)
                {
                    SparseTrainingKernels.Transpose(xp, batch, pattern.Columns, pattern.Columns, xt, stride, zeroPadding: true);
                    SparseTrainingKernels.Multiply(pattern.Rows, rows, columns, v, bp, xt, yt, stride, get_num_threads());
                    Inference.CsrKernels.Transpose(yt, pattern.Rows, batch, stride, y, pattern.Rows);
                }
            }

            return (output, keep ? new State(pattern, inputT, values, stride, batch, input.requires_grad, bias is not null, w.dim() == 1) : null);
        }
        finally
        {
            if (!keep)
            {
                pool.Return(inputT);
                pool.Return(values);
            }

            pool.Return(outputT);
        }
    }

    /// <summary>The autograd function: its forward keeps the input feature-major for the weights' gradient.</summary>
    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        private const string Saved = "state";

        public override string Name => "LotterySparseLinear";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (output, saved) = Product((Tensor)vars[0], (Tensor)vars[1], vars[2] as Tensor, (SparsePattern)vars[3], keep: true);
            ctx.save_data(Saved, saved!);
            return output;
        }

        public override unsafe List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var state = (State)ctx.get_data(Saved);
            var pattern = state.Pattern;
            var (batch, stride) = (state.Batch, state.Stride);
            var pool = ArrayPool<float>.Shared;
            var gradT = pool.Rent(Math.Max(1, pattern.Rows * stride));
            var inputGradT = state.InputNeedsGradient ? pool.Rent(Math.Max(1, pattern.Columns * stride)) : null;
            var sampled = pool.Rent(Math.Max(1, pattern.NonZeroCount));
            var columnValues = pool.Rent(Math.Max(1, pattern.NonZeroCount));
            try
            {
                using var g = gradOutput.detach().contiguous();
                var weightGradient = state.ValuesOnly ? empty([pattern.NonZeroCount], ScalarType.Float32) : zeros([pattern.Rows, pattern.Columns], ScalarType.Float32);
                var inputGradient = state.InputNeedsGradient ? empty([batch, pattern.Columns], ScalarType.Float32) : null;
                fixed (float* gp = Floats(g), gt = gradT, xt = state.InputT, s = state.ValuesOnly ? Floats(weightGradient) : sampled, c = columnValues, dw = Floats(weightGradient))
                fixed (float* dxt = inputGradT, dx = inputGradient is null ? default : Floats(inputGradient))
                fixed (int* rows = pattern.RowPointers, columns = pattern.ColumnIndices, columnPointers = pattern.ColumnPointers, rowIndices = pattern.RowIndices)
                {
                    if (batch > 0)
                    {
                        SparseTrainingKernels.Transpose(gp, batch, pattern.Rows, pattern.Rows, gt, stride, zeroPadding: true);
                        SparseTrainingKernels.SampledProduct(pattern.Rows, rows, columns, gt, xt, stride, s, get_num_threads());
                        if (!state.ValuesOnly)
                        {
                            var positions = pattern.Positions;
                            for (var k = 0; k < positions.Length; k++)
                            {
                                dw[positions[k]] = s[k];
                            }
                        }

                        if (dxt is not null)
                        {
                            // dX^T = W^T dY^T, column by column: the surviving weights in column order.
                            var order = pattern.ByColumn;
                            for (var k = 0; k < order.Length; k++)
                            {
                                c[k] = state.Values[order[k]];
                            }

                            SparseTrainingKernels.Multiply(pattern.Columns, columnPointers, rowIndices, c, null, gt, dxt, stride, get_num_threads());
                            Inference.CsrKernels.Transpose(dxt, pattern.Columns, batch, stride, dx, pattern.Columns);
                        }
                    }
                }

                var biasGradient = state.HasBias ? g.sum(0L) : null;   // 0L: a plain 0 would be the ScalarType overload, the sum of everything
                return [inputGradient!, weightGradient, biasGradient!, null!];
            }
            finally
            {
                pool.Return(gradT);
                if (inputGradT is not null)
                {
                    pool.Return(inputGradT);
                }

                pool.Return(sampled);
                pool.Return(columnValues);
                pool.Return(state.InputT);
                pool.Return(state.Values);
            }
        }
    }

    private sealed record State(SparsePattern Pattern, float[] InputT, float[] Values, int Stride, int Batch, bool InputNeedsGradient, bool HasBias, bool ValuesOnly);
}
