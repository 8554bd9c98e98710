using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Training.Sparse;

/// <summary>Which masked layers the sparse training path takes (<see cref="SparseTraining"/>).</summary>
public static class SparseTrainingRule
{
    /// <summary>
    /// The largest share of surviving weights at which <see cref="SparseTraining.Auto"/> trains a Linear layer on the
    /// sparse path. Measured with <c>lottery benchmark --sparse-training</c> (BENCHMARKS.md): on LeNet-300-100's layers
    /// the sparse path's step is faster than the dense one below about this share, and slower above it.
    /// </summary>
    public const double AutoDensity = 0.3;

    /// <summary>Whether <paramref name="weight"/> trains on the sparse path under <paramref name="policy"/>, and if not, why.</summary>
    public static (bool Sparse, string Why) Decide(SparseTraining policy, PrunableWeight weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (policy == SparseTraining.Dense)
        {
            return (false, "dense training was asked for");
        }

        if (weight.Layer is not Linear || weight.ParameterName != "weight" || weight.Parameter.dim() != 2)
        {
            return (false, "only a Linear layer's weight has a sparse training path");
        }

        if (weight.Parameter.dtype != ScalarType.Float32 || weight.Parameter.device_type != TorchSharp.DeviceType.CPU)
        {
            return (false, "the sparse training path computes float32 on the CPU");
        }

        var density = weight.WeightsRemaining;
        return policy == SparseTraining.Sparse || density <= AutoDensity
            ? (true, "sparse")
            : (false, FormattableString.Invariant($"{density * 100:0.#}% of its weights remain, above Auto's {AutoDensity * 100:0.#}%"));
    }
}

/// <summary>
/// One epoch of training on the sparse path: for each chosen Linear layer, its surviving weights become a parameter of
/// their own, its forward goes through <see cref="SparseLinear"/> (a forward pre-hook gives the layer's own product an
/// empty batch, and a forward hook returns the sparse product of the real one), and an optimizer of the same kind steps
/// over those surviving weights with the optimizer's state gathered at them. At the end, the weights and the state go back
/// into the dense weight and the dense optimizer's state, so evaluation, pruning, rewinding, checkpoints and saving see
/// exactly what a dense epoch leaves (its figures differ only by the order of the additions in the products).
/// </summary>
internal sealed class SparseTrainingEpoch : IDisposable
{
    private readonly optim.Optimizer dense;
    private readonly List<Layer> layers;
    private readonly List<Parameter> parameters;
    private readonly List<Parameter> epochParameters;
    private bool ended;

    private SparseTrainingEpoch(optim.Optimizer dense, List<Layer> layers, List<Parameter> parameters, List<Parameter> epochParameters, optim.Optimizer optimizer)
    {
        this.dense = dense;
        this.layers = layers;
        this.parameters = parameters;
        this.epochParameters = epochParameters;
        Optimizer = optimizer;
    }

    /// <summary>The optimizer this epoch steps with.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The layers on the sparse path, by name.</summary>
    public IReadOnlyList<string> Layers => layers.Select(l => l.Weight.Name).ToList();

    /// <summary>
    /// Starts a sparse epoch, or returns null when no layer takes the sparse path (the policy, the layers' densities, the
    /// optimizer, a hook that reads weights during the epoch, or layers the model's forward does not call with
    /// <c>call</c>).
    /// </summary>
    public static SparseTrainingEpoch? Begin(nn.Module<Tensor, Tensor> model, MaskSet masks, SparseTraining policy, optim.Optimizer dense, Func<IEnumerable<Parameter>, optim.Optimizer> create, Tensor probe)
    {
        if (dense is not (Adam or SGD))
        {
            return null;
        }

        var chosen = masks.Weights.Where(w => SparseTrainingRule.Decide(policy, w).Sparse).ToList();
        chosen = Called(model, chosen, probe);
        if (chosen.Count == 0)
        {
            return null;
        }

        var layers = new List<Layer>();
        using (var noGrad = no_grad())
        {
            foreach (var weight in chosen)
            {
                var pattern = SparsePattern.FromMask(weight.Mask);
                var values = new Parameter(pattern.Gather(weight.Parameter)).DetachFromDisposeScope() as Parameter;
                layers.Add(new Layer(weight, pattern, values!, pattern.PositionTensor(weight.Parameter.device).DetachFromDisposeScope()));
            }
        }

        var parameters = ((OptimizerHelper)dense).parameters().ToList();
        var byHandle = layers.ToDictionary(l => l.Weight.Parameter.Handle);
        var epochParameters = parameters.Select(p => byHandle.TryGetValue(p.Handle, out var layer) ? layer.Values : p).ToList();
        var optimizer = create(epochParameters);
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = dense.ParamGroups.First().LearningRate;
        }

        var epoch = new SparseTrainingEpoch(dense, layers, parameters, epochParameters, optimizer);
        epoch.CopyState(toEpoch: true);
        foreach (var layer in layers)
        {
            layer.Attach();
        }

        return epoch;
    }

    /// <summary>Puts the surviving weights and the optimizer's state back into the dense weights and the dense optimizer, and detaches the hooks.</summary>
    public void End()
    {
        if (ended)
        {
            return;
        }

        ended = true;
        foreach (var layer in layers)
        {
            layer.Detach();
        }

        using var noGrad = no_grad();
        foreach (var layer in layers)
        {
            layer.Weight.Parameter.view(-1).index_copy_(0, layer.Positions, layer.Values);
        }

        CopyState(toEpoch: false);
    }

    public void Dispose()
    {
        End();
        Optimizer.Dispose();
        foreach (var layer in layers)
        {
            layer.Dispose();
        }
    }

    // The layers the model's forward calls with call(x) (whose hooks run): a layer its forward calls with forward(x) would
    // train its dense weight, which this epoch's optimizer does not step, so it stays dense. Probed in evaluation mode on a
    // batch of one, without gradients (no dropout draw, no running statistics moved).
    private static List<PrunableWeight> Called(nn.Module<Tensor, Tensor> model, List<PrunableWeight> weights, Tensor probe)
    {
        if (weights.Count == 0)
        {
            return weights;
        }

        var called = new HashSet<PrunableWeight>(ReferenceEqualityComparer.Instance);
        var hooks = weights.Select(w => ((nn.Module<Tensor, Tensor>)w.Layer).register_forward_hook((_, _, _) =>
        {
            called.Add(w);
            return null!;
        })).ToList();
        var training = model.training;
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.eval();
            model.call(probe);
        }
        finally
        {
            hooks.ForEach(h => h.remove());
            model.train(training);
        }

        return weights.Where(called.Contains).ToList();
    }

    // Moves the optimizer's per-parameter state between the dense optimizer and this epoch's: gathered at the surviving
    // weights for the sparse layers, copied whole for every other parameter.
    private void CopyState(bool toEpoch)
    {
        var denseStates = ((OptimizerHelper)dense).state_dict().State;
        var epochStates = ((OptimizerHelper)Optimizer).state_dict().State;
        var sparse = layers.ToDictionary(l => l.Values.Handle);
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Count; i++)
        {
            var layer = sparse.GetValueOrDefault(epochParameters[i].Handle);
            switch (denseStates[i], epochStates[i])
            {
                case (Adam.State d, Adam.State e):
                    if (toEpoch)
                    {
                        e.step = d.step;
                    }
                    else
                    {
                        d.step = e.step;
                    }

                    Move(d.exp_avg, e.exp_avg, layer, toEpoch);
                    Move(d.exp_avg_sq, e.exp_avg_sq, layer, toEpoch);
                    break;
                case (SGD.State d, SGD.State e):
                    if (toEpoch)
                    {
                        e.momentum_buffer?.Dispose();
                        e.momentum_buffer = d.momentum_buffer is null ? null : (layer is null ? d.momentum_buffer.clone() : layer.Gather(d.momentum_buffer)).DetachFromDisposeScope();
                    }
                    else if (e.momentum_buffer is not null)
                    {
                        d.momentum_buffer ??= zeros_like(parameters[i]).DetachFromDisposeScope();
                        Move(d.momentum_buffer, e.momentum_buffer, layer, toEpoch: false);
                    }

                    break;
            }
        }
    }

    private static void Move(Tensor denseState, Tensor epochState, Layer? layer, bool toEpoch)
    {
        if (layer is null)
        {
            (toEpoch ? epochState : denseState).copy_(toEpoch ? denseState : epochState);
        }
        else if (toEpoch)
        {
            using var gathered = layer.Gather(denseState);
            epochState.copy_(gathered);
        }
        else
        {
            denseState.view(-1).index_copy_(0, layer.Positions, epochState);
        }
    }

    /// <summary>A layer on the sparse path: its weight, pattern, surviving weights and the hooks that route its forward.</summary>
    private sealed class Layer(PrunableWeight weight, SparsePattern pattern, Parameter values, Tensor positions) : IDisposable
    {
        private readonly Stack<Tensor> inputs = new();
        private readonly List<Action> hooks = [];
        private Parameter? bias;

        public PrunableWeight Weight => weight;

        public Parameter Values => values;

        public Tensor Positions => positions;

        public Tensor Gather(Tensor dense) => dense.view(-1).index_select(0, positions);

        public void Attach()
        {
            var module = (nn.Module<Tensor, Tensor>)weight.Layer;
            // The layer's own bias (TorchSharp keeps the registered parameter): trained by this epoch's optimizer as before.
            bias = ((Linear)weight.Layer).bias;

            // The layer's own product runs on an empty batch (nothing to multiply); the hook after it returns the sparse
            // product of the input it was given.
            var before = module.register_forward_pre_hook((_, input) =>
            {
                inputs.Push(input);
                return (input.dim() == 1 ? input.unsqueeze(0) : input).narrow(0, 0, 0);
            });
            var after = module.register_forward_hook((_, _, _) =>
            {
                var input = inputs.Pop();
                if (input.dim() <= 2)
                {
                    return SparseLinear.Forward(input, values, bias, pattern);
                }

                using var flat = input.reshape(-1, input.shape[^1]);
                using var output = SparseLinear.Forward(flat, values, bias, pattern);
                return output.reshape([.. input.shape[..^1], pattern.Rows]);
            });
            hooks.Add(() => before.remove());
            hooks.Add(() => after.remove());
        }

        public void Detach()
        {
            hooks.ForEach(remove => remove());
            hooks.Clear();
            inputs.Clear();
        }

        public void Dispose()
        {
            values.Dispose();
            positions.Dispose();
        }
    }
}
