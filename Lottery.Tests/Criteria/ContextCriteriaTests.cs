using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Tests.Criteria;

/// <summary>
/// SNIP on a tiny fixed network, Linear(2, 2) -> ReLU -> Linear(2, 1), against values worked out
/// by hand in the comments (never by the code under test). Layer names: first (W1, b1), second (W2, b2); scores are
/// listed row-major, first.weight then second.weight.
/// </summary>
public class ContextCriteriaTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Snip_scores_are_the_gradient_of_the_batch_loss_times_the_weight()
    {
        // W1 = [[1, 0.25], [0.5, 0.5]], b1 = 0, W2 = [[2, -1]], b2 = 0; loss = mean of the output over the batch.
        // x1 = (1, 2): pre = (1.5, 1.5), h = (1.5, 1.5)
        //   dL/dW1 = W2[i] * [pre_i > 0] * x = [[2, 4], [-1, -2]], dL/dW2 = h = [1.5, 1.5]
        // x2 = (-1, 2): pre = (-1 + 0.5, -0.5 + 1) = (-0.5, 0.5), h = (0, 0.5)
        //   dL/dW1 = [[0, 0], [-1 * -1, -1 * 2]] = [[0, 0], [1, -2]], dL/dW2 = [0, 0.5]
        // Mean: dL/dW1 = [[1, 2], [0, -2]], dL/dW2 = [0.75, 1]
        // |g * w|: W1 = [[1, 0.5], [0, 1]], W2 = [[1.5, 1]].
        using var net = Net(first: new float[,] { { 1, 0.25f }, { 0.5f, 0.5f } }, firstBias: [0, 0], second: new float[,] { { 2, -1 } }, secondBias: [0]);
        using var masks = MaskSet.Attach(net);
        using var generator = new Generator(1);
        var context = new PruningContext(masks, generator)
        {
            Loss = new OutputMean(),
            Data = new FixedBatch(new float[,] { { 1, 2 }, { -1, 2 } }),
            ScoringBatchSize = 2,
        };

        var scores = ((IContextCriterion)PruningCriteria.Snip).Score(context, masks.Weights);

        AssertClose([1, 0.5f, 0, 1], scores[0]);
        AssertClose([1.5f, 1], scores[1]);
    }

    [Fact]
    public void Criteria_that_need_a_context_say_what_is_missing()
    {
        using var net = new TwoLayerNet(2, 2, 1);
        using var masks = MaskSet.Attach(net);
        using var generator = new Generator(1);

        var snip = Assert.Throws<InvalidOperationException>(() => Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Snip, generator));
        Assert.Contains("Snip scores weights on a batch of training data, and this pruning event has none", snip.Message, StringComparison.Ordinal);
        Assert.Equal(masks.Count, masks.Remaining);
    }

    [Fact]
    public void The_registry_knows_the_new_criteria_by_kind_and_name_and_what_each_needs()
    {
        Assert.Same(PruningCriteria.Snip, PruningCriteria.Of(CriterionKind.Snip));
        Assert.Equal(CriterionNeeds.Model | CriterionNeeds.Data, PruningCriteria.Snip.Needs);
        Assert.Equal(CriterionNeeds.Training, PruningCriteria.LeastChange.Needs);
        Assert.Equal(CriterionNeeds.None, PruningCriteria.Magnitude.Needs);
        Assert.Equal(CriterionNeeds.None, PruningCriteria.Random.Needs);
    }

    private static TwoLayerNet Net(float[,] first, float[] firstBias, float[,] second, float[] secondBias)
    {
        var net = new TwoLayerNet(2, 2, 1);
        net.SetWeights(first, second);
        using var noGrad = no_grad();
        net.First.bias!.copy_(tensor(firstBias));
        net.Second.bias!.copy_(tensor(secondBias));
        return net;
    }

    private static void AssertClose(float[] expected, Tensor actual)
    {
        var values = TestData.Values(actual);
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) < Tolerance, $"entry {i}: expected {expected[i]}, got {values[i]} (all: {string.Join(", ", values)})");
        }
    }

    /// <summary>The mean of the model's output, labels ignored: a loss whose gradients are easy to work out by hand.</summary>
    private sealed class OutputMean : ILossFunction
    {
        public string Name => "output-mean";

        public Tensor Compute(Tensor output, Tensor labels, nn.Reduction reduction) => reduction == nn.Reduction.Sum ? output.sum() : output.mean();
    }

    private sealed class FixedBatch(float[,] inputs) : IScoringData
    {
        public (Tensor Inputs, Tensor Labels) Draw(int size)
        {
            Assert.Equal(inputs.GetLength(0), size);
            return (tensor(inputs), zeros(inputs.GetLength(0), dtype: ScalarType.Int64));
        }
    }
}
