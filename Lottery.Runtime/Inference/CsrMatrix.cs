using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>
/// A matrix in compressed sparse row form, in managed arrays: the nonzero entries of row <c>i</c> are
/// <c>Values[RowPointers[i]..RowPointers[i + 1]]</c>, in columns <c>ColumnIndices[RowPointers[i]..RowPointers[i + 1]]</c>
/// (ascending within a row).
/// </summary>
public sealed class CsrMatrix
{
    internal readonly int[] rowPointers;
    internal readonly int[] columnIndices;
    internal readonly float[] values;

    /// <summary>Wraps CSR arrays as given (not copied), after checking that they describe a <paramref name="rows"/> by <paramref name="columns"/> matrix.</summary>
    /// <exception cref="ArgumentException">The arrays' lengths disagree, the row pointers decrease, or a column index is out of range.</exception>
    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rowPointers.Length != rows + 1 || rowPointers[0] != 0 || rowPointers[rows] != values.Length || columnIndices.Length != values.Length)
        {
            throw new ArgumentException(
                $"CSR arrays for a {rows}x{columns} matrix need {rows + 1} row pointers from 0 to the number of values, and one column index per value; got {rowPointers.Length} row pointers, {columnIndices.Length} column indices and {values.Length} values.",
                nameof(rowPointers));
        }

        for (var row = 0; row < rows; row++)
        {
            if (rowPointers[row + 1] < rowPointers[row])
            {
                throw new ArgumentException($"Row pointers decrease at row {row}: {rowPointers[row]} then {rowPointers[row + 1]}.", nameof(rowPointers));
            }
        }

        foreach (var column in columnIndices)
        {
            if ((uint)column >= (uint)columns)
            {
                throw new ArgumentException($"Column index {column} is outside a matrix of {columns} columns.", nameof(columnIndices));
            }
        }

        Rows = rows;
        Columns = columns;
        this.rowPointers = rowPointers;
        this.columnIndices = columnIndices;
        this.values = values;
    }

    /// <summary>Number of rows (a Linear layer's output features).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (a Linear layer's input features).</summary>
    public int Columns { get; }

    /// <summary>Where each row's entries start in <see cref="Values"/>, plus the total count at the end (<see cref="Rows"/> + 1 entries).</summary>
    public ReadOnlySpan<int> RowPointers => rowPointers;

    /// <summary>The column of each stored entry.</summary>
    public ReadOnlySpan<int> ColumnIndices => columnIndices;

    /// <summary>The stored entries, row after row.</summary>
    public ReadOnlySpan<float> Values => values;

    /// <summary>Number of stored (nonzero) entries.</summary>
    public int NonZeroCount => values.Length;

    /// <summary>Fraction of the matrix's entries that are stored (1.0 for a matrix with no zero).</summary>
    public double Density => Rows == 0 || Columns == 0 ? 0 : (double)NonZeroCount / ((long)Rows * Columns);

    /// <summary>The nonzero entries of a row-major dense matrix; zeros are dropped.</summary>
    /// <exception cref="ArgumentException"><paramref name="dense"/> does not hold <paramref name="rows"/> times <paramref name="columns"/> entries.</exception>
    public static CsrMatrix FromDense(ReadOnlySpan<float> dense, int rows, int columns)
    {
        if (dense.Length != (long)rows * columns)
        {
            throw new ArgumentException($"A {rows}x{columns} matrix has {(long)rows * columns} entries; got {dense.Length}.", nameof(dense));
        }

        var count = dense.Length - dense.Count(0f);
        var rowPointers = new int[rows + 1];
        var columnIndices = new int[count];
        var values = new float[count];
        var next = 0;
        for (var row = 0; row < rows; row++)
        {
            var entries = dense.Slice(row * columns, columns);
            for (var column = 0; column < columns; column++)
            {
                if (entries[column] != 0f)
                {
                    columnIndices[next] = column;
                    values[next] = entries[column];
                    next++;
                }
            }

            rowPointers[row + 1] = next;
        }

        return new CsrMatrix(rows, columns, rowPointers, columnIndices, values);
    }

    /// <summary>
    /// The nonzero entries of a 2-D weight tensor, times <paramref name="mask"/> when one is given (entries where the
    /// mask is 0 are dropped even if the weight there is not zero).
    /// </summary>
    /// <exception cref="ArgumentException">The weight is not 2-D, or the mask's shape differs from the weight's.</exception>
    public static CsrMatrix FromTensor(Tensor weight, Tensor? mask = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var values = MaskedValues(weight, mask);
        return FromDense(values, (int)weight.shape[0], (int)weight.shape[1]);
    }

    /// <summary>The weight times the mask, row-major, as a managed array.</summary>
    internal static float[] MaskedValues(Tensor weight, Tensor? mask)
    {
        if (weight.dim() != 2)
        {
            throw new ArgumentException($"A weight matrix must be 2-D; got shape [{string.Join(", ", weight.shape)}].", nameof(weight));
        }

        if (mask is not null && !mask.shape.SequenceEqual(weight.shape))
        {
            throw new ArgumentException(
                $"The mask's shape [{string.Join(", ", mask.shape)}] differs from the weight's [{string.Join(", ", weight.shape)}].", nameof(mask));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var masked = weight.detach().to(ScalarType.Float32, CPU);
        if (mask is not null)
        {
            masked = masked * mask.detach().to(ScalarType.Float32, CPU).ne(0);
        }

        return masked.contiguous().data<float>().ToArray();
    }
}
