using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Lottery.Training.Sparse;

/// <summary>
/// Where a pruned weight matrix [out, in] keeps its entries, for training on them alone: the surviving positions row by
/// row (compressed sparse rows) and column by column (compressed sparse columns, for the input's gradient), and each
/// position's place in the dense weight. It follows the mask and not the weights, so it is built once per pruning event,
/// rewind or regrowth, not per batch; the values are read from the dense weight at each step.
/// </summary>
public sealed class SparsePattern
{
    private readonly int[] rowPointers;
    private readonly int[] columnIndices;
    private readonly int[] positions;
    private readonly int[] columnPointers;
    private readonly int[] rowIndices;
    private readonly int[] byColumn;

    private SparsePattern(int rows, int columns, int[] rowPointers, int[] columnIndices, int[] columnPointers, int[] rowIndices, int[] byColumn)
    {
        Rows = rows;
        Columns = columns;
        this.rowPointers = rowPointers;
        this.columnIndices = columnIndices;
        this.columnPointers = columnPointers;
        this.rowIndices = rowIndices;
        this.byColumn = byColumn;
        positions = new int[columnIndices.Length];
        for (var row = 0; row < rows; row++)
        {
            for (var k = rowPointers[row]; k < rowPointers[row + 1]; k++)
            {
                positions[k] = (row * columns) + columnIndices[k];
            }
        }
    }

    /// <summary>The weight's rows (output features).</summary>
    public int Rows { get; }

    /// <summary>The weight's columns (input features).</summary>
    public int Columns { get; }

    /// <summary>The surviving entries.</summary>
    public int NonZeroCount => columnIndices.Length;

    /// <summary>The share of the entries that survive.</summary>
    public double Density => Rows == 0 || Columns == 0 ? 0 : (double)NonZeroCount / ((long)Rows * Columns);

    internal ReadOnlySpan<int> RowPointers => rowPointers;

    internal ReadOnlySpan<int> ColumnIndices => columnIndices;

    /// <summary>Each surviving entry's offset in the dense row-major weight, in row order.</summary>
    internal ReadOnlySpan<int> Positions => positions;

    internal ReadOnlySpan<int> ColumnPointers => columnPointers;

    internal ReadOnlySpan<int> RowIndices => rowIndices;

    /// <summary>For each entry in column order, its index in row order.</summary>
    internal ReadOnlySpan<int> ByColumn => byColumn;

    /// <summary>The entries of <paramref name="dense"/> ([out, in]) at the pattern's positions, in row order: a new float32 tensor of <see cref="NonZeroCount"/> entries.</summary>
    /// <exception cref="ArgumentException">The tensor does not have the pattern's shape.</exception>
    public Tensor Gather(Tensor dense)
    {
        ArgumentNullException.ThrowIfNull(dense);
        RequireShape(dense, nameof(dense));
        using var flat = dense.detach().reshape(-1);
        using var at = tensor(positions.Select(p => (long)p).ToArray(), device: dense.device);
        return flat.index_select(0, at).to(ScalarType.Float32);
    }

    /// <summary>The pattern's positions in the flattened [out, in] weight, in row order, as a new int64 tensor on <paramref name="device"/>.</summary>
    internal Tensor PositionTensor(Device device) => tensor(positions.Select(p => (long)p).ToArray(), device: device);

    /// <summary>A new dense [out, in] float32 tensor holding <paramref name="values"/> (in row order) at the pattern's positions and zeros elsewhere.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not have <see cref="NonZeroCount"/> entries.</exception>
    public Tensor Scatter(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.dim() != 1 || values.shape[0] != NonZeroCount)
        {
            throw new ArgumentException($"The pattern holds {NonZeroCount} entries; the values given have shape [{string.Join(", ", values.shape)}].", nameof(values));
        }

        var dense = zeros([(long)Rows * Columns], ScalarType.Float32, device: values.device);
        using var at = tensor(positions.Select(p => (long)p).ToArray(), device: values.device);
        using var source = values.detach().to(ScalarType.Float32);
        dense.index_copy_(0, at, source);
        return dense.reshape(Rows, Columns);
    }

    private void RequireShape(Tensor dense, string name)
    {
        if (dense.dim() != 2 || dense.shape[0] != Rows || dense.shape[1] != Columns)
        {
            throw new ArgumentException($"The pattern is of a [{Rows}, {Columns}] weight; the tensor given has shape [{string.Join(", ", dense.shape)}].", name);
        }
    }

    /// <summary>The pattern of <paramref name="mask"/> ([out, in], nonzero where a weight survives).</summary>
    /// <exception cref="ArgumentException">The mask is not a matrix, or too large for 32-bit offsets.</exception>
    public static SparsePattern FromMask(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dim() != 2)
        {
            throw new ArgumentException($"A sparse pattern is built from a weight's mask of two axes [out, in]; this one has shape [{string.Join(", ", mask.shape)}].", nameof(mask));
        }

        if (mask.numel() >= int.MaxValue)
        {
            throw new ArgumentException($"A mask of {mask.numel()} entries is too large for the sparse training path (at most {int.MaxValue - 1}).", nameof(mask));
        }

        var (rows, columns) = ((int)mask.shape[0], (int)mask.shape[1]);
        using var kept = mask.detach().ne(0).cpu().contiguous();
        var flags = MemoryMarshal.Cast<byte, bool>(kept.bytes);
        var rowPointers = new int[rows + 1];
        var columnCounts = new int[columns + 1];
        var indices = new List<int>();
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                if (flags[(row * columns) + column])
                {
                    indices.Add(column);
                    columnCounts[column + 1]++;
                }
            }

            rowPointers[row + 1] = indices.Count;
        }

        for (var column = 0; column < columns; column++)
        {
            columnCounts[column + 1] += columnCounts[column];
        }

        var columnPointers = (int[])columnCounts.Clone();
        var rowIndices = new int[indices.Count];
        var byColumn = new int[indices.Count];
        var next = (int[])columnCounts.Clone();
        for (var row = 0; row < rows; row++)
        {
            for (var k = rowPointers[row]; k < rowPointers[row + 1]; k++)
            {
                var slot = next[indices[k]]++;
                rowIndices[slot] = row;
                byColumn[slot] = k;
            }
        }

        return new SparsePattern(rows, columns, rowPointers, [.. indices], columnPointers, rowIndices, byColumn);
    }
}
