using System.Runtime.InteropServices;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Training.Sparse;

/// <summary>Which masked layers the sparse training path takes (<see cref="SparseTraining"/>).</summary>
public static class SparseTrainingRule
{
    /// <summary>
    /// The largest share of surviving weights at which <see cref="SparseTraining.Auto"/> trains a Linear layer on the
    /// sparse path. Measured with <c>lottery benchmark --sparse-training</c> (BENCHMARKS.md): on whole epochs of
    /// LeNet-300-100, the sparse path was faster than dense in every run at 7% of the weights (1.5x to 2.1x), but at 20%
    /// it ranged from 0.8x to 1.6x across runs, so Auto takes it only at 10% and below.
    /// </summary>
    public const double AutoDensity = 0.1;

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
/// empty batch, and a forward hook returns the sparse product of the real one), and the optimizer's update of those
/// surviving weights runs over them alone, in one pass per layer, with the optimizer's state gathered at them. Every other
/// parameter steps with an optimizer of the same kind and settings. At the end, the weights and the state go back into the
/// dense weight and the dense optimizer's state, so evaluation, pruning, rewinding, checkpoints and saving see exactly what
/// a dense epoch leaves (its figures differ only in the order and rounding of the arithmetic).
/// </summary>
internal sealed class SparseTrainingEpoch : IDisposable
{
    private readonly optim.Optimizer dense;
    private readonly optim.Optimizer others;
    private readonly List<Layer> layers;
    private readonly Update update;
    private readonly List<Parameter> parameters;
    private readonly List<int> otherIndices;
    private bool ended;

    private SparseTrainingEpoch(optim.Optimizer dense, optim.Optimizer others, List<Parameter> parameters, List<int> otherIndices, List<Layer> layers, Update update)
    {
        this.dense = dense;
        this.others = others;
        this.parameters = parameters;
        this.otherIndices = otherIndices;
        this.layers = layers;
        this.update = update;
    }

    /// <summary>The layers on the sparse path, by name.</summary>
    public IReadOnlyList<string> Layers => layers.Select(l => l.Weight.Name).ToList();

    /// <summary>
    /// Starts a sparse epoch, or returns null when no layer takes the sparse path (the policy, the layers' densities, the
    /// optimizer, a hook that reads weights during the epoch, or layers the model's forward does not call with
    /// <c>call</c>).
    /// </summary>
    public static SparseTrainingEpoch? Begin(nn.Module<Tensor, Tensor> model, MaskSet masks, SparseTraining policy, optim.Optimizer dense, Func<IEnumerable<Parameter>, optim.Optimizer> create, Tensor probe)
    {
        if (Update.Of(dense) is not { } update)
        {
            return null;
        }

        var chosen = masks.Weights.Where(w => SparseTrainingRule.Decide(policy, w).Sparse).ToList();
        chosen = Called(model, chosen, probe);
        if (chosen.Count == 0)
        {
            return null;
        }

        var parameters = ((OptimizerHelper)dense).parameters().ToList();
        var states = ((OptimizerHelper)dense).state_dict().State;
        var layers = new List<Layer>();
        using (var noGrad = no_grad())
        {
            foreach (var weight in chosen)
            {
                var index = parameters.FindIndex(p => p.Handle == weight.Parameter.Handle);
                if (index < 0)
                {
                    continue;   // a weight the optimizer does not train (frozen): it stays as it is, on the dense path
                }

                var pattern = SparsePattern.FromMask(weight.Mask);
                var layer = new Layer(weight, pattern, pattern.PositionTensor(weight.Parameter.device).DetachFromDisposeScope(), index);
                layer.TakeState(states[index]);
                layers.Add(layer);
            }
        }

        if (layers.Count == 0)
        {
            return null;
        }

        var sparse = layers.Select(l => l.Index).ToHashSet();
        var otherIndices = Enumerable.Range(0, parameters.Count).Where(i => !sparse.Contains(i)).ToList();
        var others = create(otherIndices.Select(i => parameters[i]));
        foreach (var group in others.ParamGroups)
        {
            group.LearningRate = dense.ParamGroups.First().LearningRate;
        }

        var epoch = new SparseTrainingEpoch(dense, others, parameters, otherIndices, layers, update);
        epoch.CopyOthers(toEpoch: true);
        foreach (var layer in layers)
        {
            layer.Attach();
        }

        return epoch;
    }

    /// <summary>Clears every gradient this epoch's step reads.</summary>
    public void ZeroGrad()
    {
        others.zero_grad();
        foreach (var layer in layers)
        {
            layer.Values.grad?.zero_();
        }
    }

    /// <summary>One optimizer step: every other parameter by the optimizer, each layer's surviving weights in one pass.</summary>
    public void Step()
    {
        others.step();
        var learningRate = others.ParamGroups.First().LearningRate;
        foreach (var layer in layers)
        {
            layer.Step(update, learningRate);
        }
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

        var states = ((OptimizerHelper)dense).state_dict().State;
        using var noGrad = no_grad();
        foreach (var layer in layers)
        {
            layer.Weight.Parameter.view(-1).index_copy_(0, layer.Positions, layer.Values);
            layer.GiveState(states[layer.Index]);
        }

        CopyOthers(toEpoch: false);
    }

    public void Dispose()
    {
        End();
        others.Dispose();
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

    // The other parameters' state, copied whole between the dense optimizer and this epoch's.
    private void CopyOthers(bool toEpoch)
    {
        var denseStates = ((OptimizerHelper)dense).state_dict().State;
        var epochStates = ((OptimizerHelper)others).state_dict().State;
        using var noGrad = no_grad();
        for (var j = 0; j < otherIndices.Count; j++)
        {
            var parameter = parameters[otherIndices[j]];
            switch (denseStates[otherIndices[j]], epochStates[j])
            {
                case (Adam.State d, Adam.State e):
                    if (toEpoch)
                    {
                        e.step = d.step;
                        e.exp_avg.copy_(d.exp_avg);
                        e.exp_avg_sq.copy_(d.exp_avg_sq);
                    }
                    else
                    {
                        d.step = e.step;
                        d.exp_avg.copy_(e.exp_avg);
                        d.exp_avg_sq.copy_(e.exp_avg_sq);
                    }

                    break;
                case (SGD.State d, SGD.State e):
                    if (toEpoch)
                    {
                        e.momentum_buffer?.Dispose();
                        e.momentum_buffer = d.momentum_buffer?.clone().DetachFromDisposeScope();
                    }
                    else if (e.momentum_buffer is not null)
                    {
                        d.momentum_buffer ??= zeros_like(parameter).DetachFromDisposeScope();
                        d.momentum_buffer.copy_(e.momentum_buffer);
                    }

                    break;
            }
        }
    }

    /// <summary>The optimizer's settings the surviving weights' update follows (Adam's or SGD's, as TorchSharp computes them).</summary>
    internal sealed record Update(bool Adam, double Beta1, double Beta2, double Eps, double WeightDecay, double Momentum, double Dampening, bool Nesterov)
    {
        /// <summary>The settings of <paramref name="optimizer"/>'s first group, or null for an optimizer (or option: AMSGrad, maximize) this update does not follow.</summary>
        public static Update? Of(optim.Optimizer optimizer) => (optimizer as OptimizerHelper)?.state_dict().Options.FirstOrDefault() switch
        {
            Adam.Options { amsgrad: not true, maximize: not true } a when optimizer is Adam =>
                new Update(true, a.beta1!.Value, a.beta2!.Value, a.eps!.Value, a.weight_decay!.Value, 0, 0, false),
            SGD.Options { maximize: not true } s when optimizer is SGD =>
                new Update(false, 0, 0, 0, s.weight_decay!.Value, s.momentum!.Value, s.dampening!.Value, s.nesterov!.Value),
            _ => null,
        };
    }

    /// <summary>A layer on the sparse path: its weight, pattern, surviving weights, their optimizer state and the hooks that route its forward.</summary>
    private sealed class Layer : IDisposable
    {
        private readonly PrunableWeight weight;
        private readonly SparsePattern pattern;
        private readonly Parameter values;
        private readonly Tensor storage;   // the surviving weights' own storage, without autograd: the update writes it in place
        private readonly Tensor positions;
        private readonly int index;
        private readonly Stack<Tensor> inputs = new();
        private readonly List<Action> hooks = [];
        private Parameter? bias;
        private Tensor? first;     // Adam's first moment, or SGD's momentum (null until SGD's first step when it had none)
        private Tensor? second;    // Adam's second moment
        private long step;

        public Layer(PrunableWeight weight, SparsePattern pattern, Tensor positions, int index)
        {
            (this.weight, this.pattern, this.positions, this.index) = (weight, pattern, positions, index);
            values = (Parameter)new Parameter(Gather(weight.Parameter)).DetachFromDisposeScope();
            storage = values.detach().DetachFromDisposeScope();
        }

        public PrunableWeight Weight => weight;

        public Parameter Values => values;

        public Tensor Positions => positions;

        /// <summary>The weight's place in the optimizer's parameters.</summary>
        public int Index => index;

        public Tensor Gather(Tensor dense) => dense.view(-1).index_select(0, positions);

        /// <summary>Gathers the dense optimizer's state of the weight at the surviving entries.</summary>
        public void TakeState(OptimizerState state)
        {
            switch (state)
            {
                case Adam.State adam:
                    step = adam.step;
                    first = Gather(adam.exp_avg).contiguous().DetachFromDisposeScope();
                    second = Gather(adam.exp_avg_sq).contiguous().DetachFromDisposeScope();
                    break;
                case SGD.State sgd when sgd.momentum_buffer is not null:
                    first = Gather(sgd.momentum_buffer).contiguous().DetachFromDisposeScope();
                    break;
            }
        }

        /// <summary>Puts the state back at the surviving entries of the dense optimizer's (the pruned entries keep theirs).</summary>
        public void GiveState(OptimizerState state)
        {
            switch (state)
            {
                case Adam.State adam:
                    adam.step = step;
                    adam.exp_avg.view(-1).index_copy_(0, positions, first!);
                    adam.exp_avg_sq.view(-1).index_copy_(0, positions, second!);
                    break;
                case SGD.State sgd when first is not null:
                    sgd.momentum_buffer ??= zeros_like(weight.Parameter).DetachFromDisposeScope();
                    sgd.momentum_buffer.view(-1).index_copy_(0, positions, first);
                    break;
            }
        }

        /// <summary>
        /// The optimizer's update of the surviving weights, in one pass: TorchSharp's Adam (L2 weight decay added to the
        /// gradient, bias-corrected moments) or SGD (weight decay, momentum with dampening, Nesterov), entry by entry in
        /// float32 as its element-wise operations compute them.
        /// </summary>
        public void Step(Update update, double learningRate)
        {
            if (values.grad is not { } gradient)
            {
                return;
            }

            using var g = gradient.contiguous();
            var p = Floats(storage);
            var d = Floats(g);
            var decay = (float)update.WeightDecay;
            if (update.Adam)
            {
                step++;
                var (beta1, beta2) = ((float)update.Beta1, (float)update.Beta2);
                var (keep1, keep2) = ((float)(1 - update.Beta1), (float)(1 - update.Beta2));
                var correction = (float)Math.Sqrt(1 - Math.Pow(update.Beta2, step));
                var size = (float)(learningRate / (1 - Math.Pow(update.Beta1, step)));
                var eps = (float)update.Eps;
                var m = Floats(first!);
                var v = Floats(second!);
                for (var i = 0; i < p.Length; i++)
                {
                    var gi = decay != 0 ? d[i] + (decay * p[i]) : d[i];
                    m[i] = (m[i] * beta1) + (keep1 * gi);
                    v[i] = (v[i] * beta2) + (keep2 * gi * gi);
                    var denominator = (MathF.Sqrt(v[i]) / correction) + eps;
                    p[i] += -size * (m[i] / denominator);
                }

                return;
            }

            // SGD: the momentum buffer decays and takes the gradient (on its first step it starts as the gradient itself),
            // then the weight moves by it (Nesterov: by the gradient plus momentum times it).
            var rate = (float)learningRate;
            var momentum = (float)update.Momentum;
            var dampened = (float)(1 - update.Dampening);
            var started = first is not null;
            if (momentum != 0 && first is null)
            {
                first = zeros([p.Length], ScalarType.Float32).DetachFromDisposeScope();
            }

            var b = momentum != 0 ? Floats(first!) : default;
            for (var i = 0; i < p.Length; i++)
            {
                var gi = decay != 0 ? d[i] + (decay * p[i]) : d[i];
                if (momentum != 0)
                {
                    b[i] = started ? (b[i] * momentum) + (dampened * gi) : gi;
                    gi = update.Nesterov ? gi + (momentum * b[i]) : b[i];
                }

                p[i] += -rate * gi;
            }
        }

        public void Attach()
        {
            var module = (nn.Module<Tensor, Tensor>)weight.Layer;

            // The layer's own bias (TorchSharp keeps the registered parameter): trained by the other parameters' optimizer.
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
            storage.Dispose();
            values.Dispose();
            positions.Dispose();
            first?.Dispose();
            second?.Dispose();
        }

        private static Span<float> Floats(Tensor contiguous) => MemoryMarshal.Cast<byte, float>(contiguous.bytes);
    }
}
