using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// Keeps TorchSharp optimizers' per-parameter state out of pruned entries.
/// </summary>
/// <remarks>
/// At pruned entries the first moment (Adam) and the momentum buffer (SGD) are set to exactly zero.
/// Adam's second moment there is set to 1.0 instead of zero: with a zero first moment and a zero
/// gradient the update is exactly zero whatever the second moment holds, and LibTorch's CPU
/// <c>sqrt</c> is about five times slower on zeros than on normal numbers (measured on this project's
/// machines), which made masked training a third slower than dense. No gradient ever reaches these
/// entries, so their state stays uniform and unused.
/// </remarks>
internal static class OptimizerStateMasking
{
    /// <summary>
    /// Whether <paramref name="optimizer"/> leaves a weight at exactly zero when its gradient and its state
    /// at that entry are zero, so that masking the gradients is enough (no pass over the weights after each step).
    /// True for SGD (with momentum, Nesterov and weight decay), Adam and AdamW: every update term is a product
    /// with the zero gradient, the zero first moment or the zero weight.
    /// </summary>
    public static bool KeepsZeroWeightsZero(optim.Optimizer optimizer) => optimizer is SGD or Adam or AdamW;

    public static void Apply(optim.Optimizer optimizer, IReadOnlyList<PrunableWeight> weights)
    {
        if (optimizer is not OptimizerHelper helper)
        {
            return;
        }

        // The state dictionary lists one state per parameter, in the optimizer's parameter order,
        // and holds references to the live state tensors.
        var parameters = helper.parameters().ToList();
        var states = helper.state_dict().State;
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Count && i < states.Count; i++)
        {
            var weight = weights.FirstOrDefault(w => w.Parameter.Handle == parameters[i].Handle);
            if (weight is null)
            {
                continue;
            }

            var (zeroed, neutral) = StateTensors(states[i]);
            foreach (var tensor in zeroed)
            {
                if (IsLive(tensor, weight))
                {
                    tensor!.mul_(weight.Mask);
                }
            }

            foreach (var tensor in neutral)
            {
                if (IsLive(tensor, weight))
                {
                    using var scope = NewDisposeScope();
                    tensor!.mul_(weight.Mask).add_(1 - weight.Mask);
                }
            }
        }
    }

    /// <summary>Sets every state tensor of each weight to zero at the given entries (a 0/1 or boolean tensor of its shape): as a new parameter's.</summary>
    public static void Reset(optim.Optimizer optimizer, IReadOnlyList<(PrunableWeight Weight, Tensor Entries)> entries)
    {
        if (optimizer is not OptimizerHelper helper || entries.Count == 0)
        {
            return;
        }

        var parameters = helper.parameters().ToList();
        var states = helper.state_dict().State;
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Count && i < states.Count; i++)
        {
            foreach (var (weight, at) in entries.Where(e => e.Weight.Parameter.Handle == parameters[i].Handle))
            {
                using var scope = NewDisposeScope();
                var where = at.to(ScalarType.Bool);
                var (zeroed, neutral) = StateTensors(states[i]);
                foreach (var tensor in zeroed.Concat(neutral).Where(t => IsLive(t, weight)))
                {
                    tensor!.masked_fill_(where, 0);
                }
            }
        }
    }

    private static bool IsLive(Tensor? tensor, PrunableWeight weight) =>
        tensor is not null && !tensor.IsInvalid && tensor.shape.SequenceEqual(weight.Mask.shape);

    private static (Tensor?[] Zeroed, Tensor?[] Neutral) StateTensors(OptimizerState state) => state switch
    {
        SGD.State sgd => ([sgd.momentum_buffer], []),
        Adam.State adam => ([adam.exp_avg], [adam.exp_avg_sq, adam.max_exp_avg_sq]),
        AdamW.State adamW => ([adamW.exp_avg], [adamW.exp_avg_sq, adamW.max_exp_avg_sq]),
        _ => throw new NotSupportedException(
            $"Lottery cannot mask the state of optimizer state {state.GetType().FullName}; use Adam, AdamW or SGD, or open an issue for this optimizer."),
    };
}
