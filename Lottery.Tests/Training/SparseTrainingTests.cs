using Lottery.Criteria;
using Lottery.Data;
using Lottery.Masks;
using Lottery.Training;
using Lottery.Training.Sparse;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Training;

/// <summary>
/// The trainer on the sparse path (<see cref="TrainingSettings.SparseTraining"/>): the masked Linear layers train over
/// their surviving weights only, and what an epoch leaves (weights, optimizer state) is what the dense path leaves, up to
/// the order of the additions; pruned weights and their state never move.
/// </summary>
public class SparseTrainingTests
{
    [Theory]
    [InlineData(OptimizerKind.Adam, 0.0, 1e-3, false)]
    [InlineData(OptimizerKind.Sgd, 0.9, 5e-4, true)]
    public void Epochs_on_the_sparse_path_leave_the_weights_and_optimizer_state_the_dense_path_leaves(OptimizerKind kind, double momentum, double weightDecay, bool nesterov)
    {
        using var data = TestData.SmallDigits(train: 600, validation: 10, test: 10);
        var settings = new TrainingSettings
        {
            Optimizer = kind,
            LearningRate = kind == OptimizerKind.Adam ? 1e-3 : 0.05,
            Momentum = momentum,
            Nesterov = nesterov,
            WeightDecay = weightDecay,
            BatchSize = 30,
            Seed = 4,
        };

        var (dense, denseLayers) = Train(settings, data.Train);
        var (sparse, sparseLayers) = Train(settings with { SparseTraining = SparseTraining.Sparse }, data.Train);

        Assert.Empty(denseLayers);
        Assert.Equal(["first.weight", "second.weight"], sparseLayers);

        // 3 epochs of 20 steps; the products add in another order, so the weights agree to float rounding, not bit for bit.
        foreach (var (name, expected) in dense.Weights)
        {
            var actual = sparse.Weights[name];
            var difference = (actual - expected).abs().max().item<float>();
            Assert.True(difference <= 1e-4, $"{name}: largest difference {difference}");
        }

        // Pruned weights are exactly zero, and so are their momentum and first moment; Adam's second moment there is one
        // uniform value (the neutral 1.0 the epoch began with: no step reaches it), and at the surviving entries the state
        // is the dense path's.
        foreach (var (name, mask) in sparse.Masks)
        {
            using var pruned = mask.eq(0);
            using var kept = mask.ne(0);
            Assert.True(pruned.any().item<bool>());
            Assert.Equal(0, sparse.Weights[name].masked_select(pruned).count_nonzero().item<long>());
            Assert.Equal(0, sparse.State[name][0].masked_select(pruned).count_nonzero().item<long>());
            if (sparse.State[name].Count > 1)
            {
                using var second = sparse.State[name][1].masked_select(pruned);
                Assert.Equal(second.max().item<float>(), second.min().item<float>());
                Assert.True(second.min().item<float>() > 0);
            }

            foreach (var (state, expected) in sparse.State[name].Zip(dense.State[name]))
            {
                var difference = (state.masked_select(kept) - expected.masked_select(kept)).abs().max().item<float>();
                Assert.True(difference <= 1e-3, $"{name}: the state's largest difference {difference}");
            }
        }

        Assert.Equal(dense.Steps, sparse.Steps);
    }

    [Fact]
    public void Auto_trains_a_layer_sparse_only_at_or_below_its_density_and_decides_again_each_epoch()
    {
        manual_seed(6);
        using var net = new CallingTwoLayerNet(784, 32, 10);
        using var masks = MaskSet.Attach(net, new MaskOptions { LayerRates = new Dictionary<string, double> { ["first"] = 0.95, ["second"] = 0.4 } });
        using var trainer = new Trainer(net, new TrainingSettings { SparseTraining = SparseTraining.Auto, BatchSize = 50, Seed = 6 }, masks);
        using var data = TestData.SmallDigits(train: 100, validation: 10, test: 10);

        trainer.TrainEpoch(data.Train, 0, 1);
        Assert.Empty(trainer.SparseLayers);   // every weight remains: above Auto's density

        using (var generator = new Generator(1))
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.8), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        // first (pruned at 0.95) at 5% goes sparse; second (pruned at 0.4) keeps 60% and stays dense.
        masks.ApplyToOptimizerState(trainer.Optimizer);
        trainer.TrainEpoch(data.Train, 0, 2);
        Assert.Equal(["first.weight"], trainer.SparseLayers);
        Assert.Equal((true, "sparse"), SparseTrainingRule.Decide(SparseTraining.Auto, masks.Weights[0]));
        Assert.Contains("above Auto's 10%", SparseTrainingRule.Decide(SparseTraining.Auto, masks.Weights[1]).Why);
    }

    [Fact]
    public void A_policy_that_is_not_one_is_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingSettings { SparseTraining = (SparseTraining)9 }.Validate());
        Assert.Contains("TrainingSettings.SparseTraining: give Dense, Sparse or Auto.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_the_forward_calls_with_forward_and_runs_with_a_hook_that_reads_weights_stay_dense()
    {
        using var data = TestData.SmallDigits(train: 100, validation: 10, test: 10);
        var settings = new TrainingSettings { SparseTraining = SparseTraining.Sparse, BatchSize = 50, Seed = 7 };

        // TwoLayerNet calls its layers' forward(x) directly: no hook sees them, so the sparse path cannot route them.
        manual_seed(7);
        using (var direct = new TwoLayerNet(784, 16, 10))
        using (var masks = MaskSet.Attach(direct))
        using (var trainer = new Trainer(direct, settings, masks))
        {
            using var before = direct.First.weight!.detach().clone();
            trainer.TrainEpoch(data.Train, 0, 1);
            Assert.Empty(trainer.SparseLayers);
            Assert.False(direct.First.weight!.detach().eq(before).all().item<bool>(), "the dense path trained the layer");
        }

        manual_seed(7);
        using var net = new CallingTwoLayerNet(784, 16, 10);
        using var masked = MaskSet.Attach(net);
        using var hooked = new Trainer(net, settings, masked);
        hooked.Hooks.Add(new ReadsWeights());
        hooked.TrainEpoch(data.Train, 0, 1);
        Assert.Empty(hooked.SparseLayers);
        hooked.Hooks.Clear();
        hooked.TrainEpoch(data.Train, 0, 2);
        Assert.Equal(2, hooked.SparseLayers.Count);
    }

    [Fact]
    public void A_sparse_layer_in_a_model_that_runs_tokens_takes_the_sparse_path_over_every_token()
    {
        using var inputs = randn(40, 5, 12);
        using var labels = randint(0, 3, [40]);
        using var train = new TensorDataSet("tokens", inputs.clone(), labels.clone(), 3);
        var settings = new TrainingSettings { BatchSize = 10, Seed = 8 };
        var weights = new List<Tensor>();
        foreach (var policy in new[] { SparseTraining.Dense, SparseTraining.Sparse })
        {
            manual_seed(8);
            using var net = new TokenNet();
            using var masks = MaskSet.Attach(net);
            using (var generator = new Generator(2))
            {
                Pruner.Prune(masks, PruningAmount.ByRate(0.9), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
            }

            using var trainer = new Trainer(net, settings with { SparseTraining = policy }, masks);
            trainer.TrainEpoch(train, 0, 1);
            Assert.Equal(policy == SparseTraining.Sparse ? 2 : 0, trainer.SparseLayers.Count);
            weights.Add(masks.Weights[0].Parameter.detach().clone());
        }

        Assert.True((weights[0] - weights[1]).abs().max().item<float>() <= 1e-5);
        weights.ForEach(w => w.Dispose());
    }

    private static (Outcome Outcome, IReadOnlyList<string> Layers) Train(TrainingSettings settings, TensorDataSet train)
    {
        manual_seed(9);
        using var net = new CallingTwoLayerNet(784, 48, 10);
        using var masks = MaskSet.Attach(net);
        using var trainer = new Trainer(net, settings, masks);
        trainer.TrainEpoch(train, 0, 1);
        using (var generator = new Generator(3))
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.9), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        masks.ApplyToOptimizerState(trainer.Optimizer);
        trainer.TrainEpoch(train, 0, 2);
        trainer.TrainEpoch(train, 0, 3);
        var layers = trainer.SparseLayers;

        var helper = (OptimizerHelper)trainer.Optimizer;
        var parameters = helper.parameters().ToList();
        var states = helper.state_dict().State;
        var outcome = new Outcome();
        long steps = 0;
        foreach (var weight in masks.Weights)
        {
            var i = parameters.FindIndex(p => p.Handle == weight.Parameter.Handle);
            outcome.Weights[weight.Name] = weight.Parameter.detach().clone().DetachFromDisposeScope();
            outcome.Masks[weight.Name] = weight.Mask.clone().DetachFromDisposeScope();
            outcome.State[weight.Name] = states[i] switch
            {
                Adam.State a => [a.exp_avg.clone(), a.exp_avg_sq.clone()],
                SGD.State s => [s.momentum_buffer.clone()],
                _ => [],
            };
            steps += states[i] is Adam.State adam ? adam.step : 0;
        }

        outcome.Steps = steps;
        return (outcome, layers);
    }

    private sealed class Outcome
    {
        public Dictionary<string, Tensor> Weights { get; } = [];

        public Dictionary<string, Tensor> Masks { get; } = [];

        public Dictionary<string, List<Tensor>> State { get; } = [];

        public long Steps { get; set; }
    }

    private sealed class ReadsWeights : ITrainingHooks
    {
        public bool ReadsWeightsDuringEpoch => true;
    }

    /// <summary>Tokens [batch, 5, 12] through a Linear per token, then a mean over tokens and a head.</summary>
    private sealed class TokenNet : nn.Module<Tensor, Tensor>
    {
        private readonly Linear mix = nn.Linear(12, 24);
        private readonly Linear head = nn.Linear(24, 3);

        public TokenNet()
            : base(nameof(TokenNet)) => RegisterComponents();

        public override Tensor forward(Tensor input) => head.call(nn.functional.relu(mix.call(input)).mean([1]));
    }
}
