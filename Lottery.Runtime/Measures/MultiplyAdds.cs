using Lottery.Compaction.Modules;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Measures;

/// <summary>One weighted layer as the multiply-add count sees it.</summary>
/// <param name="Name">The layer's name in the model (<c>fc1</c>, <c>features.conv1</c>).</param>
/// <param name="Positions">How many times each weight is used per example: 1 for a Linear on a vector, the output's length (Conv1d) or height times width (Conv2d) for a convolution.</param>
/// <param name="Weights">The layer's weight entries.</param>
public sealed record LayerMultiplyAdds(string Name, long Positions, long Weights);

/// <summary>
/// Counts multiply-adds: per example, each surviving weight of a Linear, a convolution or the query, key and value
/// projection of Lottery's <see cref="Lottery.Layers.SelfAttention"/> multiplies once per position it
/// is applied at (a convolution's output positions), so a layer costs its surviving weights times its positions. Pruned
/// weights count nothing, which is what sparse kernels could reach; biases, activations, pools, normalisation and
/// attention's products of queries, keys and values are left out (they add no multiplies by weights). Training one example costs three forward passes' worth (the forward
/// pass, and the backward pass's products for the inputs' and the weights' gradients), the convention of Evci et al.
/// (2020) for RigL.
/// </summary>
/// <remarks>
/// The positions are found once, by running one example through the model in evaluation mode with a forward hook on
/// every Linear and convolution. A layer the model's forward does not reach through <c>call</c> (a hand-written
/// forward that calls <c>layer.forward</c>) is not seen, and then no count is given (<see cref="Complete"/> is false)
/// rather than a wrong one.
/// </remarks>
public sealed class MultiplyAdds
{
    /// <summary>Forward and backward passes: the multiply-adds of training one example are this many times its forward pass's.</summary>
    public const int TrainingPasses = 3;

    private readonly nn.Module model;

    private MultiplyAdds(nn.Module model, IReadOnlyList<LayerMultiplyAdds> layers, bool complete)
    {
        this.model = model;
        Layers = layers;
        Complete = complete;
    }

    /// <summary>The model's weighted layers, in model order.</summary>
    public IReadOnlyList<LayerMultiplyAdds> Layers { get; }

    /// <summary>Whether every weighted layer was reached by the probe, so that the counts are whole.</summary>
    public bool Complete { get; }

    /// <summary>The multiply-adds of one example's forward pass with every weight (no pruning).</summary>
    public long DenseForward => Layers.Sum(l => l.Weights * l.Positions);

    /// <summary>
    /// Finds the positions of every weighted layer of <paramref name="model"/> by running <paramref name="example"/> (one
    /// example, batch size 1, on the model's device) through it without gradients, in evaluation mode (its mode is put back).
    /// </summary>
    public static MultiplyAdds Probe(nn.Module<Tensor, Tensor> model, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(example);
        var weighted = model.named_modules().Where(m => ModuleKind.Of(m.module)?.Cost(m.module) is not null).ToList();
        var positions = new Dictionary<string, long>();
        var removers = new List<Action>();
        var training = model.training;
        try
        {
            foreach (var (name, module) in weighted)
            {
                var layer = (nn.Module<Tensor, Tensor>)module;
                var outputs = ModuleKind.Of(module)!.Cost(module)!.Value.Outputs;
                var hook = layer.register_forward_hook((_, _, output) =>
                {
                    // Per example: the output's entries over its features or channels (the batch is 1).
                    positions[name] = output.numel() / outputs;
                    return output;
                });
                removers.Add(hook.remove);
            }

            model.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            model.call(example);
        }
        finally
        {
            foreach (var remove in removers)
            {
                remove();
            }

            model.train(training);
        }

        var layers = weighted
            .Select(m => new LayerMultiplyAdds(m.name, positions.GetValueOrDefault(m.name), Weight(m.module).numel()))
            .ToList();
        return new MultiplyAdds(model, layers, weighted.All(m => positions.ContainsKey(m.name)));
    }

    /// <summary>
    /// The multiply-adds of one example's forward pass with the weights that survive now: a layer's weights that its
    /// <c>weight_mask</c> keeps (all of them without a mask), times its positions. Null when the probe missed a layer.
    /// </summary>
    public long? Forward()
    {
        if (!Complete)
        {
            return null;
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);

        // Masks a set holds rather than a buffer of the layer (an encoder layer's, declared on the layer around them) count too.
        var held = ((model as IPrunableModel)?.Masks ?? model.modules().Select(MaskSet.Holding).FirstOrDefault(set => set is not null))?
            .Weights.ToDictionary(w => w.Name, w => w.Mask, StringComparer.Ordinal) ?? [];
        long total = 0;
        foreach (var layer in Layers)
        {
            var module = modules[layer.Name];
            var weight = ModuleKind.Of(module)!.Cost(module)!.Value.Parameter;
            var mask = module.named_buffers(recurse: false).FirstOrDefault(b => b.name == weight + MaskSet.MaskBufferSuffix).buffer
                ?? held.GetValueOrDefault($"{layer.Name}.{weight}");
            var surviving = mask is null ? layer.Weights : mask.count_nonzero().item<long>();
            total += surviving * layer.Positions;
        }

        return total;
    }

    /// <summary>The multiply-adds of training <paramref name="examples"/> examples with the weights that survive now; null when the probe missed a layer.</summary>
    public long? Training(long examples) => Forward() is { } forward ? TrainingPasses * forward * examples : null;

    /// <summary>
    /// What computing the weight gradients of the pruned entries too costs for <paramref name="examples"/> examples: a
    /// dense weight gradient in place of the sparse one (RigL reads it at each mask update), the dense forward's
    /// multiply-adds less the surviving weights'. Null when the probe missed a layer.
    /// </summary>
    public long? DenseWeightGradients(long examples) => Forward() is { } forward ? (DenseForward - forward) * examples : null;

    private static Tensor Weight(nn.Module module) => ModuleKind.Of(module)!.Cost(module)!.Value.Weight;
}
