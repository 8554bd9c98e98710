using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Export.Graphs;

/// <summary>
/// What graph export writes for one of TorchSharp's native <see cref="TransformerEncoderLayer"/>s (sequence first,
/// post-norm: self-attention, add and LayerNorm, feed-forward, add and LayerNorm), whose settings the native module does
/// not expose: its head count and activation are found by computing the layer from its parameters with each setting and
/// keeping the one that gives the layer's own output on the example, so the settings written are the ones it computes with.
/// </summary>
/// <param name="Width">The model width (d_model).</param>
/// <param name="Heads">The attention heads.</param>
/// <param name="FeedForward">The feed-forward width.</param>
/// <param name="Activation">The feed-forward activation: <c>relu</c> or <c>gelu</c>.</param>
/// <param name="Eps">The LayerNorms' epsilon.</param>
public sealed record TransformerLayerSpec(long Width, long Heads, long FeedForward, string Activation, double Eps)
{
    private static readonly string[] Activations = ["relu", "gelu"];

    /// <summary>The features of each head: the width over the heads, or less in a compacted <see cref="Layers.EncoderLayer"/>.</summary>
    public long HeadSize { get; init; } = Width / Heads;

    /// <summary>The heads' features together, <see cref="Heads"/> x <see cref="HeadSize"/>: the width, until heads are removed.</summary>
    public long Inner => Heads * HeadSize;

    /// <summary>Whether the layer is Lottery's own <see cref="Layers.EncoderLayer"/> (any heads, written as a class of its own in PyTorch), not TorchSharp's native one.</summary>
    public bool Managed { get; init; }

    /// <summary>The settings of Lottery's own layer, which it exposes.</summary>
    internal static TransformerLayerSpec Of(Layers.EncoderLayer layer) =>
        new(layer.Width, layer.Heads, layer.FeedForward, layer.Activation == Layers.FeedForwardActivation.GELU ? "gelu" : "relu", layer.Eps)
        {
            HeadSize = layer.Attention.HeadSize,
            Managed = true,
        };

    /// <summary>The layer's parameters by name (<c>self_attn.in_proj_weight</c>...), each times its mask when it has one.</summary>
    public static Dictionary<string, Tensor> Weights(nn.Module layer)
    {
        var masks = layer.named_buffers().Where(b => b.name.EndsWith(Masks.MaskSet.MaskBufferSuffix, StringComparison.Ordinal))
            .ToDictionary(b => b.name[..^Masks.MaskSet.MaskBufferSuffix.Length], b => b.buffer);
        foreach (var weight in Masks.MaskSet.Holding(layer)?.Weights.Where(w => ReferenceEquals(w.Layer, layer)) ?? [])
        {
            masks.TryAdd(weight.ParameterName, weight.Mask);
        }

        return layer.named_parameters().ToDictionary(
            p => p.name,
            p => masks.TryGetValue(p.name, out var mask) ? p.parameter.detach().mul(mask) : p.parameter.detach());
    }

    /// <summary>The settings <paramref name="layer"/> computes with, found from its <paramref name="output"/> on <paramref name="input"/> ([sequence, batch, width]).</summary>
    /// <exception cref="GraphCaptureException">No setting reproduces the layer; the message names it.</exception>
    internal static TransformerLayerSpec Infer(TransformerEncoderLayer layer, Tensor input, Tensor output, string path)
    {
        using var scope = NewDisposeScope();
        var weights = Weights(layer);
        string[] needed = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"];
        var missing = needed.FirstOrDefault(n => !weights.ContainsKey(n));
        if (missing is not null || input.dim() != 3)
        {
            throw new GraphCaptureException($"Layer '{path}' cannot be exported: graph export writes a TransformerEncoderLayer with biases, on inputs of [sequence, batch, width], and this one has {(missing is null ? $"an input of {input.dim()} axes" : $"no '{missing}'")}.");
        }

        var width = weights["self_attn.in_proj_weight"].shape[1];
        var feedForward = weights["linear1.weight"].shape[0];
        var scale = output.abs().max().ToDouble() + 1;
        foreach (var activation in Activations)
        {
            for (var heads = 1L; heads <= width; heads++)
            {
                if (width % heads != 0)
                {
                    continue;
                }

                var spec = new TransformerLayerSpec(width, heads, feedForward, activation, 1e-5);
                using var computed = spec.Compute(weights, input);
                if ((computed - output).abs().max().ToDouble() <= 1e-5 * scale)
                {
                    return spec;
                }
            }
        }

        throw new GraphCaptureException($"Layer '{path}' cannot be exported: no head count with a ReLU or GELU feed-forward (post-norm, sequence first) computes what this TransformerEncoderLayer computes.");
    }

    /// <summary>The layer's output on <paramref name="input"/> computed from its parameters with these settings (what the export writes).</summary>
    public Tensor Compute(IReadOnlyDictionary<string, Tensor> w, Tensor input)
    {
        using var scope = NewDisposeScope();
        var (sequence, batch) = (input.shape[0], input.shape[1]);
        var qkv = nn.functional.linear(input, w["self_attn.in_proj_weight"], w["self_attn.in_proj_bias"]).chunk(3, -1);
        Tensor Split(Tensor t) => t.reshape(sequence, batch * Heads, HeadSize).transpose(0, 1);
        var (q, k, v) = (Split(qkv[0]) * (1.0 / Math.Sqrt(HeadSize)), Split(qkv[1]), Split(qkv[2]));
        var attended = q.matmul(k.transpose(1, 2)).softmax(-1).matmul(v).transpose(0, 1).reshape(sequence, batch, Inner);
        var attention = nn.functional.linear(attended, w["self_attn.out_proj.weight"], w["self_attn.out_proj.bias"]);
        var first = nn.functional.layer_norm(input + attention, [Width], w["norm1.weight"], w["norm1.bias"], Eps);
        var hidden = nn.functional.linear(first, w["linear1.weight"], w["linear1.bias"]);
        hidden = Activation == "gelu" ? nn.functional.gelu(hidden) : nn.functional.relu(hidden);
        var feedForward = nn.functional.linear(hidden, w["linear2.weight"], w["linear2.bias"]);
        return nn.functional.layer_norm(first + feedForward, [Width], w["norm2.weight"], w["norm2.bias"], Eps).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"width {Width}, {Heads} heads of {HeadSize}, feed-forward {FeedForward} ({Activation})");
}
