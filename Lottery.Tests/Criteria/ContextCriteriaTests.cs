using Lottery.Criteria;
using Lottery.Data;
using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Tests.Criteria;

/// <summary>
/// SNIP, SynFlow and Movement on a tiny fixed network, Linear(2, 2) -> ReLU -> Linear(2, 1), against values worked out
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
    public void SynFlow_scores_the_flow_of_the_magnitudes_on_an_input_of_ones_and_gives_every_sign_back()
    {
        // |W1| = [[1, 0.25], [0.5, 0.5]], |b1| = (0.1, 0.2), |W2| = [[2, 1]], |b2| = 0.3; input (1, 1).
        // pre = (1 + 0.25 + 0.1, 0.5 + 0.5 + 0.2) = (1.35, 1.2), both positive, so h = pre; R = 2 * 1.35 + 1.2 + 0.3 = 4.2.
        // dR/dW2 = h = (1.35, 1.2)                -> |W2| * dR/dW2 = (2.7, 1.2)
        // dR/dW1[i, j] = |W2|[i] * 1 = 2 (row 0), 1 (row 1) -> |W1| * dR/dW1 = [[2, 0.5], [0.5, 0.5]]
        // (Conservation, the paper's check: the scores into the hidden layer, 3.5 by the weights and 0.1 * 2 + 0.2 * 1
        // by the biases, sum to the 3.9 out of it.)
        float[,] first = { { 1, -0.25f }, { -0.5f, 0.5f } };
        float[,] second = { { 2, -1 } };
        using var net = Net(first, firstBias: [0.1f, -0.2f], second, secondBias: [-0.3f]);
        using var masks = MaskSet.Attach(net);
        using var generator = new Generator(1);
        var context = new PruningContext(masks, generator) { Data = new UntouchableData(), InputShape = [2] };

        var scores = ((IContextCriterion)PruningCriteria.SynFlow).Score(context, masks.Weights);

        AssertClose([2, 0.5f, 0.5f, 0.5f], scores[0]);
        AssertClose([2.7f, 1.2f], scores[1]);
        Assert.Equal([1, -0.25f, -0.5f, 0.5f], TestData.Values(net.First.weight!));
        Assert.Equal([0.1f, -0.2f], TestData.Values(net.First.bias!));
        Assert.Equal([2, -1f], TestData.Values(net.Second.weight!));
        Assert.Equal([-0.3f], TestData.Values(net.Second.bias!));
        Assert.True(net.training, "the model's training mode is given back");
    }

    [Fact]
    public void SynFlow_prunes_in_100_passes_and_keeps_a_path_that_one_pass_would_cut()
    {
        // |W1| = [[1, 0.9], [0.2, 0.25]], |b1| = (0, 0.1), |W2| = [[1, 3]], b2 = 0; global, to half of the 6 weights.
        // Scores |W1| * |W2|[i] and |W2|[i] * h_i with h = |W1| (1, 1) + |b1| (every unit stays positive):
        //   pass 1: W1 = [[1, 0.9], [0.6, 0.75]], W2 = [1 * 1.9, 3 * 0.55] = [1.9, 1.65] -> W1[1, 0] (0.6) goes
        //   pass 2: W1 = [[1, 0.9], [-, 0.75]], W2 = [1.9, 3 * (0.25 + 0.1)] = [1.9, 1.05] -> W1[1, 1] (0.75) goes
        //   pass 3: W1 = [[1, 0.9], [-, -]], W2 = [1.9, 3 * 0.1] = [1.9, 0.3] -> W2[1] (0.3) goes
        // One weight goes at each of passes 13, 42 and 78 of 100 (6 * 0.5^(k/100) rounds to 5, 4, 3 there). Scored once,
        // the three lowest of pass 1 (0.6, 0.75 and 0.9) would leave W2[1] fed by nothing but a bias and cut W1[0, 1].
        using var net = Net(new float[,] { { 1, 0.9f }, { -0.2f, 0.25f } }, firstBias: [0, -0.1f], new float[,] { { -1, 3 } }, secondBias: [0]);
        using var masks = MaskSet.Attach(net);
        using var generator = new Generator(1);
        var context = new PruningContext(masks, generator) { Data = new UntouchableData(), InputShape = [2] };

        var pruning = Pruner.Prune(context, PruningAmount.ToRemaining(0.5), PruningScope.Global, PruningCriteria.SynFlow);

        Assert.Equal([1, 1, 0, 0], TestData.Values(masks["first.weight"].Mask));
        Assert.Equal([1, 0], TestData.Values(masks["second.weight"].Mask));
        Assert.Equal(2, pruning.Removed["first.weight"]);
        Assert.Equal(1, pruning.Removed["second.weight"]);
        Assert.Equal([1, 0.9f, 0, 0], TestData.Values(net.First.weight!));
        Assert.Equal([-1, 0f], TestData.Values(net.Second.weight!));
        Assert.Equal([0, -0.1f], TestData.Values(net.First.bias!));
    }

    [Fact]
    public void SynFlow_reads_no_data_and_Snip_does()
    {
        using var net = new TwoLayerNet(2, 2, 1);
        using var masks = MaskSet.Attach(net);
        using var generator = new Generator(1);
        var context = new PruningContext(masks, generator) { Data = new UntouchableData(), InputShape = [2] };

        Pruner.Prune(context, PruningAmount.ToRemaining(0.5), PruningScope.Global, PruningCriteria.SynFlow);
        Assert.Equal(3, masks.Remaining);

        // The same untouchable data does stop a criterion that reads it, so the SynFlow run above read none.
        var error = Assert.Throws<InvalidOperationException>(() => Pruner.Prune(context, PruningAmount.ToRemaining(0.25), PruningScope.Global, PruningCriteria.Snip));
        Assert.Equal(UntouchableData.Message, error.Message);
    }

    [Fact]
    public void Movement_sums_minus_weight_times_gradient_before_each_step()
    {
        // W1 = [[1, 0.25], [0.5, 0.5]], b1 = 0, W2 = [[2, -1]], b2 = 0; SGD, learning rate 0.1, batches of one example
        // x = (1, 2), twice (both examples are x, so the batch order does not matter); loss = the output.
        // Step 1: pre = (1.5, 1.5), h = (1.5, 1.5).
        //   g(W1) = [[2, 4], [-1, -2]], g(b1) = (2, -1), g(W2) = (1.5, 1.5), g(b2) = 1
        //   -w * g: W1 = [[-2, -1], [0.5, 1]], W2 = [-3, 1.5]
        //   update: W1 = [[0.8, -0.15], [0.6, 0.7]], b1 = (-0.2, 0.1), W2 = [1.85, -1.15], b2 = -0.1
        // Step 2: pre = (0.8 - 0.3 - 0.2, 0.6 + 1.4 + 0.1) = (0.3, 2.1), h = (0.3, 2.1).
        //   g(W1) = [[1.85, 3.7], [-1.15, -2.3]], g(W2) = (0.3, 2.1)
        //   -w * g: W1 = [[-1.48, 0.555], [0.69, 1.61]], W2 = [-0.555, 2.415]
        // Sums: W1 = [[-3.48, -0.445], [1.19, 2.61]], W2 = [-3.555, 3.915].
        using var net = Net(new float[,] { { 1, 0.25f }, { 0.5f, 0.5f } }, firstBias: [0, 0], new float[,] { { 2, -1 } }, secondBias: [0]);
        using var masks = MaskSet.Attach(net);
        var movement = (IContextCriterion)PruningCriteria.Movement;
        using var accumulator = movement.CreateAccumulator(masks)!;
        var settings = new TrainingSettings { Epochs = 1, BatchSize = 1, Optimizer = OptimizerKind.Sgd, LearningRate = 0.1, Loss = new OutputMean() };
        using var trainer = new Trainer(net, settings, masks);
        trainer.Hooks.Add(accumulator);
        using var data = new TensorDataSet("x twice", tensor(new float[,] { { 1, 2 }, { 1, 2 } }), tensor(new long[] { 0, 0 }), 1);

        trainer.TrainEpoch(data, round: 0, epoch: 1);

        using var generator = new Generator(1);
        var context = new PruningContext(masks, generator) { Accumulators = new Dictionary<IPruningCriterion, ICriterionAccumulator> { [movement] = accumulator } };
        var scores = movement.Score(context, masks.Weights);
        AssertClose([-3.48f, -0.445f, 1.19f, 2.61f], scores[0]);
        AssertClose([-3.555f, 3.915f], scores[1]);

        // A new round starts its sums from zero.
        accumulator.BeforeRound(1, 1.0);
        AssertClose([0, 0, 0, 0], movement.Score(context, masks.Weights)[0]);
    }

    [Fact]
    public void Criteria_that_need_a_context_say_what_is_missing()
    {
        using var net = new TwoLayerNet(2, 2, 1);
        using var masks = MaskSet.Attach(net);
        using var generator = new Generator(1);

        var snip = Assert.Throws<InvalidOperationException>(() => Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Snip, generator));
        Assert.Contains("Snip scores weights on a batch of training data, and this pruning event has none", snip.Message, StringComparison.Ordinal);
        var synFlow = Assert.Throws<InvalidOperationException>(() => Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.SynFlow, generator));
        Assert.Contains("give the PruningContext its InputShape", synFlow.Message, StringComparison.Ordinal);
        var movement = Assert.Throws<InvalidOperationException>(() => Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Movement, generator));
        Assert.Contains("Movement scores weights by what it gathered during training", movement.Message, StringComparison.Ordinal);
        Assert.Equal(masks.Count, masks.Remaining);
    }

    [Fact]
    public void The_registry_knows_the_new_criteria_by_kind_and_name_and_what_each_needs()
    {
        Assert.Same(PruningCriteria.Snip, PruningCriteria.Of(CriterionKind.Snip));
        Assert.Same(PruningCriteria.SynFlow, PruningCriteria.FromName("synflow"));
        Assert.Same(PruningCriteria.Movement, PruningCriteria.Of(CriterionKind.Movement));
        Assert.Equal(CriterionNeeds.Model | CriterionNeeds.Data, PruningCriteria.Snip.Needs);
        Assert.Equal(CriterionNeeds.Model, PruningCriteria.SynFlow.Needs);
        Assert.Equal(CriterionNeeds.Training, PruningCriteria.Movement.Needs);
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

    /// <summary>Data that must not be read: drawing a batch fails the test.</summary>
    private sealed class UntouchableData : IScoringData
    {
        public const string Message = "The criterion read the training data.";

        public (Tensor Inputs, Tensor Labels) Draw(int size) => throw new InvalidOperationException(Message);
    }
}
