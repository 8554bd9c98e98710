using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Layers;

/// <summary>
/// Multi-head self-attention written in C# (sequence first: inputs of [sequence, batch, width]), with the parameters and
/// names of TorchSharp's and PyTorch's <c>MultiheadAttention</c> (<c>in_proj_weight</c>, <c>in_proj_bias</c>,
/// <c>out_proj</c>), so that their state dictionaries load into it. Unlike the native module, its head count is a property
/// and its heads need not fill the width: compaction in place removes pruned heads (their rows of the query, key and value
/// projections and the output projection's columns), leaving <see cref="Heads"/> x <see cref="HeadSize"/> below the width.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300, SA1306, SA1307 // TorchSharp registers fields by name: these are PyTorch's.
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
#pragma warning restore IDE1006, SA1300, SA1306, SA1307

    /// <summary>Self-attention over <paramref name="width"/> features in <paramref name="heads"/> heads of width / heads features each.</summary>
    /// <param name="width">The model width (embed_dim).</param>
    /// <param name="heads">The heads: the width must divide by them.</param>
    /// <param name="dropout">Dropout on the attention weights while training.</param>
    /// <exception cref="ArgumentOutOfRangeException">The width does not divide into the heads, or the dropout is outside [0, 1).</exception>
    public SelfAttention(long width, long heads, double dropout = 0.0)
        : base(nameof(SelfAttention))
    {
        if (width < 1 || heads < 1 || width % heads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(heads), $"SelfAttention: a width of {width} does not divide into {heads} heads; give a head count that divides the width.");
        }

        if (dropout is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), "SelfAttention: dropout must be in [0, 1).");
        }

        Heads = heads;
        HeadSize = width / heads;
        Dropout = dropout;
        in_proj_weight = nn.Parameter(empty(3 * width, width));
        in_proj_bias = nn.Parameter(zeros(3 * width));
        out_proj = nn.Linear(width, width);
        using (no_grad())
        {
            // As PyTorch's MultiheadAttention initialises itself.
            nn.init.xavier_uniform_(in_proj_weight);
            out_proj.bias!.zero_();
        }

        RegisterComponents();
    }

    /// <summary>The heads it computes with now (fewer once compaction removed pruned ones).</summary>
    public long Heads { get; internal set; }

    /// <summary>The features of each head.</summary>
    public long HeadSize { get; }

    /// <summary>The model width: the features it reads and writes.</summary>
    public long Width => out_proj.out_features;

    /// <summary>Dropout on the attention weights while training.</summary>
    public double Dropout { get; }

    /// <summary>Attends over the sequence: <paramref name="input"/> is [sequence, batch, width], and so is the result.</summary>
    /// <exception cref="ArgumentException">The input is not [sequence, batch, width].</exception>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 3 || input.shape[2] != Width)
        {
            throw new ArgumentException($"SelfAttention takes inputs of [sequence, batch, {Width}], not [{string.Join(", ", input.shape)}].", nameof(input));
        }

        using var scope = NewDisposeScope();
        var (length, batch, inner) = (input.shape[0], input.shape[1], Heads * HeadSize);
        var parts = nn.functional.linear(input, in_proj_weight, in_proj_bias).split(inner, -1);
        Tensor ByHead(Tensor part) => part.reshape(length, batch * Heads, HeadSize).transpose(0, 1);   // [batch x heads, sequence, head]
        var query = ByHead(parts[0]) * (1.0 / Math.Sqrt(HeadSize));
        var weights = query.bmm(ByHead(parts[1]).transpose(1, 2)).softmax(-1);
        if (training && Dropout > 0)
        {
            weights = nn.functional.dropout(weights, Dropout, training: true);
        }

        var attended = weights.bmm(ByHead(parts[2])).transpose(0, 1).reshape(length, batch, inner);
        return out_proj.call(attended).MoveToOuterDisposeScope();
    }
}
