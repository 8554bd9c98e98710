using System.Globalization;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>
/// Turns a pruned chain into a physically smaller dense one: removes the units (output features of a Linear, output
/// channels of a convolution) that are dead, and the matching inputs of the layers they feed, so that the compacted
/// chain computes what the masked chain computes with fewer parameters.
/// </summary>
/// <remarks>
/// <para>
/// A unit is dead in when its effective weights (the weight times its <c>weight_mask</c> buffer, the bias times its
/// <c>bias_mask</c>) from every surviving input are zero: whatever the input, it outputs a constant (its bias plus what
/// its removed constant inputs add). Compaction carries that constant through the modules up to the next Linear or
/// convolution and adds the weights from the unit times the constant to that layer's bias. A unit is dead out when the
/// next layer's surviving units have only zero weights from it: whatever it outputs is never read. Removing units of one
/// kind can make others dead, so both rules run until nothing changes. Structured pruning (whole rows or channels with
/// their biases) makes units dead in; unstructured pruning can make them dead by chance.
/// </para>
/// <para>
/// Some constants cannot be folded exactly, and their units stay: a nonzero constant feeding a convolution that pads
/// with zeros (its border taps see zeros, not the constant), or passing an average pool that counts padding or has a
/// fixed divisor. The model's inputs, the last layer's outputs and every module after the last layer are kept, and so is
/// at least one unit of each layer. A layer created without a bias gets one when removed constants add a nonzero amount.
/// </para>
/// </remarks>
public static partial class Compactor
{
    /// <summary>
    /// Compacts <paramref name="chain"/>: returns a new chain of fresh modules (same names, same settings, in evaluation
    /// mode, no tensor shared with the source, no mask buffer) with the dead units removed, and a report of the sizes
    /// before and after. The source is not changed (its modules' training modes are put back as they were).
    /// </summary>
    /// <param name="chain">
    /// The pruned model, a chain of Linear, Conv1d, Conv2d (groups = 1), BatchNorm1d/2d with running statistics,
    /// MaxPool1d/2d, AvgPool1d/2d, Flatten, dropout, Identity and the activations ReLU, LeakyReLU, Tanh, Sigmoid, GELU,
    /// ELU and SiLU. Its masks are read from the <c>weight_mask</c> and <c>bias_mask</c> buffers of its layers.
    /// </param>
    /// <param name="inputShape">The shape of one sample, without the batch axis: <c>[1, 28, 28]</c> for an image, <c>[784]</c> for features.</param>
    /// <exception cref="NotSupportedException">A module of the chain is not supported (the message names its index, name and type), or is used on a shape where it would mix units.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputShape"/> is empty or not positive, or the chain does not run on a sample of that shape.</exception>
    public static CompactionResult Compact(Sequential chain, long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length == 0 || inputShape.Any(size => size <= 0))
        {
            throw new ArgumentException(
                $"The input shape [{string.Join(", ", inputShape)}] is not the shape of one sample: give its positive sizes without the batch axis, for example [1, 28, 28] or [784].",
                nameof(inputShape));
        }

        using var modes = new EvaluationModeScope(chain);
        using var noGrad = no_grad();
        var links = ChainTrace.Trace(chain, inputShape);
        var plans = UnitAnalysis.Plan(links, inputShape);
        var model = ChainRebuilder.Build(links, plans);
        return new CompactionResult(model, Report(chain, model, links, plans));
    }

    /// <summary>
    /// Compacts a model declared with <see cref="ChainAttribute"/> (what its generated <c>Compact()</c> calls): compacts
    /// <paramref name="chain"/>, then checks the result against <paramref name="model"/>'s own forward on 32 random
    /// samples of <paramref name="inputShape"/> (uniform in [0, 1), a fixed seed; the global generator is untouched), so a
    /// chain that does not compute what forward computes is an error rather than a wrong model.
    /// </summary>
    /// <exception cref="CompactionMismatchException">The compacted chain's outputs differ from the model's by more than 1e-4: the declared chain is not what forward computes.</exception>
    public static CompactionResult CompactDeclared(nn.Module<Tensor, Tensor> model, Sequential chain, long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = Compact(chain, inputShape);
        using var generator = new Generator(20_240_101);
        using var samples = rand([32, .. inputShape], generator: generator);
        try
        {
            Verify(model, result.Model, samples, tolerance: 1e-4);
        }
        catch (CompactionMismatchException error)
        {
            result.Model.Dispose();
            throw new CompactionMismatchException(
                $"{model.GetType().Name}'s declared [Chain] does not compute what its forward computes: {error.Message} List in [Chain] every module forward applies, in its order, or let the generator write forward (remove yours).",
                error.LargestDifference);
        }

        return result;
    }

    /// <summary>
    /// Runs <paramref name="source"/> and <paramref name="compacted"/> on <paramref name="inputs"/> (a batch, in
    /// evaluation mode, without gradients; each model's modes are put back afterwards) and returns the largest absolute
    /// difference between their outputs. For outputs of shape [batch, classes] it also checks that both predict the same
    /// class (the largest output) for every sample.
    /// </summary>
    /// <exception cref="CompactionMismatchException">
    /// The outputs differ in shape, by more than <paramref name="tolerance"/>, are NaN, or the predicted classes differ.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or NaN.</exception>
    public static double Verify(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> compacted, Tensor inputs, double tolerance = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(compacted);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(tolerance >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance is the largest absolute difference allowed; it must be zero or more.");
        }

        using var modes = new EvaluationModeScope(source, compacted);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var expected = source.call(inputs);
        var actual = compacted.call(inputs);
        if (!expected.shape.SequenceEqual(actual.shape))
        {
            throw new CompactionMismatchException(
                $"The compacted model outputs shape [{string.Join(", ", actual.shape)}] where its source outputs [{string.Join(", ", expected.shape)}].",
                double.NaN);
        }

        var difference = expected.numel() == 0 ? 0 : (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        if (!(difference <= tolerance))
        {
            throw new CompactionMismatchException(
                string.Create(CultureInfo.InvariantCulture, $"The compacted model's outputs differ from its source's by up to {difference:G6}, more than the tolerance {tolerance:G6}."),
                difference);
        }

        if (expected.dim() == 2 && expected.shape[1] > 1)
        {
            var differing = expected.argmax(1).ne(actual.argmax(1)).sum().item<long>();
            if (differing > 0)
            {
                throw new CompactionMismatchException(
                    string.Create(CultureInfo.InvariantCulture, $"The compacted model predicts another class than its source for {differing} of {expected.shape[0]} samples, though its outputs are within {difference:G6}: two classes nearly tie there."),
                    difference);
            }
        }

        return difference;
    }

    private static CompactionReport Report(Sequential source, Sequential compacted, IReadOnlyList<ChainLink> links, IReadOnlyList<LinkPlan?> plans)
    {
        var fresh = compacted.named_children().Select(child => child.module).ToList();
        var layers = links
            .Where(link => link.Kind == LinkKind.Prunable)
            .Select(link =>
            {
                var plan = plans[link.Index]!;
                var weight = LayerWeights.Weight(link.Module);
                return new CompactedLayer(
                    link.Index,
                    link.Name,
                    link.Module.GetType().Name,
                    InputsBefore: weight.shape[1],
                    InputsAfter: plan.KeptInputs.Length,
                    UnitsBefore: weight.shape[0],
                    UnitsAfter: plan.KeptUnits.Length,
                    plan.FoldedUnits,
                    plan.UnusedUnits,
                    ParametersBefore: Count(link.Module),
                    ParametersAfter: Count(fresh[link.Index]));
            })
            .ToList();
        return new CompactionReport(layers, Count(source), Count(compacted));
    }

    private static long Count(nn.Module module) => module.parameters().Sum(parameter => parameter.numel());
}
