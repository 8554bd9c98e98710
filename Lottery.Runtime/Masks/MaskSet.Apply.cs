using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Keeping pruned weights at zero: the masks applied to the weights, the gradients and the optimizer's state.</summary>
public sealed partial class MaskSet : IDisposable
{
    /// <summary>Zeroes the pruned entries of every masked parameter, in place.</summary>
    public void ApplyToWeights()
    {
        using var noGrad = no_grad();
        foreach (var weight in weights)
        {
            weight.Parameter.mul_(weight.Mask);
        }
    }

    /// <summary>Zeroes the gradient at pruned entries, so that they feed neither the update nor the optimizer's state.</summary>
    public void ApplyToGradients()
    {
        using var noGrad = no_grad();
        foreach (var weight in weights)
        {
            weight.Parameter.grad?.mul_(weight.Mask);
        }
    }

    /// <summary>
    /// Clears the optimizer's per-parameter state at pruned entries (SGD momentum and Adam's first moment to
    /// zero, Adam's unused second moment to a neutral 1.0), so that momentum gathered before a pruning event
    /// cannot move a pruned weight. Call it after each pruning event and whenever an optimizer is created.
    /// </summary>
    public void ApplyToOptimizerState(optim.Optimizer optimizer) => OptimizerStateMasking.Apply(optimizer, weights);

    /// <summary>
    /// Whether, for <paramref name="optimizer"/>, masking the gradients before each step (with the state cleared
    /// by <see cref="ApplyToOptimizerState"/>) keeps pruned weights exactly zero, so that
    /// <see cref="ApplyToWeights"/> need not follow every step. True for SGD, Adam and AdamW.
    /// </summary>
    public static bool MaskedGradientsSuffice(optim.Optimizer optimizer) => OptimizerStateMasking.KeepsZeroWeightsZero(optimizer);
}
