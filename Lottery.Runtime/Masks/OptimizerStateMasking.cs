using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Zeroes TorchSharp optimizers' per-parameter state at pruned entries.</summary>
internal static class OptimizerStateMasking
{
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
            var weight = weights.FirstOrDefault(w => ReferenceEquals(w.Parameter, parameters[i]) || w.Parameter.Handle == parameters[i].Handle);
            if (weight is null)
            {
                continue;
            }

            foreach (var tensor in StateTensors(states[i]))
            {
                if (tensor is not null && !tensor.IsInvalid && tensor.shape.SequenceEqual(weight.Mask.shape))
                {
                    tensor.mul_(weight.Mask);
                }
            }
        }
    }

    private static IEnumerable<Tensor?> StateTensors(OptimizerState state) => state switch
    {
        SGD.State sgd => [sgd.momentum_buffer],
        Adam.State adam => [adam.exp_avg, adam.exp_avg_sq, adam.max_exp_avg_sq],
        AdamW.State adamW => [adamW.exp_avg, adamW.exp_avg_sq, adamW.max_exp_avg_sq],
        _ => throw new NotSupportedException(
            $"Lottery cannot mask the state of optimizer state {state.GetType().FullName}; use Adam, AdamW or SGD, or open an issue for this optimizer."),
    };
}
