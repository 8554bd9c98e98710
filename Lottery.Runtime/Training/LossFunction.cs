using static TorchSharp.torch;

namespace Lottery.Training;

/// <summary>
/// What training minimises: the model's output for a batch against the batch's labels. Implement it for your own
/// loss (class weights, label smoothing, a margin); a type with a public parameterless constructor can be named in
/// <see cref="ExperimentAttribute.Loss"/>. Its <see cref="Name"/> is part of every run's identity.
/// </summary>
public interface ILossFunction
{
    /// <summary>A stable name that changes whenever the loss computes something else (for example <c>cross-entropy</c>).</summary>
    string Name { get; }

    /// <summary>The loss of a batch as a scalar tensor: training asks for the mean and calls <c>backward()</c> on it; evaluation asks for the sum.</summary>
    /// <param name="output">The model's output, <c>[N, classes]</c> for a classifier.</param>
    /// <param name="labels">The labels, <c>[N]</c>, int64 class indices.</param>
    /// <param name="reduction"><see cref="nn.Reduction.Mean"/> or <see cref="nn.Reduction.Sum"/> over the batch.</param>
    Tensor Compute(Tensor output, Tensor labels, nn.Reduction reduction);
}

/// <summary>Cross-entropy of the logits against class indices: the default loss, and the paper's.</summary>
public sealed class CrossEntropyLoss : ILossFunction
{
    /// <summary>The one instance (it has no settings).</summary>
    public static CrossEntropyLoss Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "cross-entropy";

    /// <inheritdoc/>
    public Tensor Compute(Tensor output, Tensor labels, nn.Reduction reduction) => nn.functional.cross_entropy(output, labels, reduction: reduction);
}
