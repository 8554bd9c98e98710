using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Layers;

/// <summary>The feed-forward activation of an <see cref="EncoderLayer"/>.</summary>
public enum FeedForwardActivation
{
    /// <summary>max(0, x), PyTorch's default.</summary>
    ReLU,

    /// <summary>The Gaussian error linear unit (exact, not the tanh approximation).</summary>
    GELU,
}

/// <summary>
/// A Transformer encoder layer written in C#: what TorchSharp's <c>TransformerEncoderLayer</c> computes (sequence first,
/// post-norm: self-attention, add and LayerNorm, feed-forward, add and LayerNorm), with the same parameter names
/// (<c>self_attn.in_proj_weight</c>, <c>linear1.weight</c>, <c>norm2.bias</c>...), so that a native layer's state dictionary
/// loads into it and back. Use it where a Transformer layer should become smaller: compaction in place removes its pruned
/// heads (<see cref="SelfAttention"/>) and feed-forward neurons (<c>linear1</c>'s rows, <c>linear2</c>'s columns), which the
/// native layer, whose sizes are fixed in LibTorch, cannot; graph export writes it to ONNX and PyTorch at any size.
/// Declared <c>[Prunable]</c>, it is masked as the native layer is, and pruned by heads and neurons with <c>Groups = true</c>.
/// </summary>
public sealed class EncoderLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300, SA1306, SA1307 // TorchSharp registers fields by name: these are PyTorch's.
    private readonly SelfAttention self_attn;
    private readonly Linear linear1;
    private readonly Linear linear2;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
#pragma warning restore IDE1006, SA1300, SA1306, SA1307

    /// <summary>An encoder layer of <paramref name="width"/> features, <paramref name="heads"/> heads and a feed-forward <paramref name="feedForward"/> wide.</summary>
    /// <param name="width">The model width (d_model).</param>
    /// <param name="heads">The attention heads: the width must divide by them.</param>
    /// <param name="feedForward">The feed-forward width (dim_feedforward).</param>
    /// <param name="dropout">Dropout while training, where PyTorch's layer applies it (attention weights, feed-forward, both residual branches).</param>
    /// <param name="activation">The feed-forward activation.</param>
    /// <param name="eps">The LayerNorms' epsilon.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the width does not divide into the heads, or the dropout is outside [0, 1).</exception>
    public EncoderLayer(long width, long heads, long feedForward, double dropout = 0.1, FeedForwardActivation activation = FeedForwardActivation.ReLU, double eps = 1e-5)
        : base(nameof(EncoderLayer))
    {
        if (feedForward < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(feedForward), "EncoderLayer: the feed-forward width must be at least 1.");
        }

        self_attn = new SelfAttention(width, heads, dropout);
        linear1 = nn.Linear(width, feedForward);
        linear2 = nn.Linear(feedForward, width);
        norm1 = nn.LayerNorm(width, eps);
        norm2 = nn.LayerNorm(width, eps);
        Dropout = dropout;
        Activation = activation;
        Eps = eps;
        RegisterComponents();
    }

    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    public SelfAttention Attention => self_attn;

    /// <summary>The model width.</summary>
    public long Width => self_attn.Width;

    /// <summary>The attention heads it computes with now.</summary>
    public long Heads => self_attn.Heads;

    /// <summary>The feed-forward neurons it computes with now.</summary>
    public long FeedForward => linear1.out_features;

    /// <summary>The feed-forward activation.</summary>
    public FeedForwardActivation Activation { get; }

    /// <summary>The LayerNorms' epsilon.</summary>
    public double Eps { get; }

    /// <summary>Dropout while training.</summary>
    public double Dropout { get; }

    /// <summary>The layer on <paramref name="input"/>, [sequence, batch, width]; the result has its shape.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var first = norm1.call(input + Drop(self_attn.call(input)));
        var hidden = linear1.call(first);
        hidden = Activation == FeedForwardActivation.GELU ? nn.functional.gelu(hidden) : nn.functional.relu(hidden);
        return norm2.call(first + Drop(linear2.call(Drop(hidden)))).MoveToOuterDisposeScope();
    }

    private Tensor Drop(Tensor value) => training && Dropout > 0 ? nn.functional.dropout(value, Dropout, training: true) : value;
}
