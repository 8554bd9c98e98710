using Lottery.Criteria;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Masks;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Training;

public class MaskedTrainingTests
{
    /// <summary>Checks after every optimizer step that every pruned weight is exactly 0.0.</summary>
    private sealed class ZeroChecker(MaskSet masks) : ITrainingHooks
    {
        public int Steps { get; private set; }

        public long Violations { get; private set; }

        public void AfterBatch(BatchProgress progress)
        {
            using var scope = NewDisposeScope();
            foreach (var weight in masks.Weights)
            {
                Violations += weight.Parameter.detach().masked_select(weight.Mask.eq(0)).ne(0).sum().item<long>();
            }

            Steps++;
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, 0.0, 0.0)]
    [InlineData(OptimizerKind.Adam, 0.0, 1e-3)]
    [InlineData(OptimizerKind.Sgd, 0.9, 5e-4)]
    public void Pruned_weights_stay_exactly_zero_through_hundreds_of_steps(OptimizerKind optimizer, double momentum, double weightDecay)
    {
        using var data = TestData.SmallDigits(train: 1200, validation: 100, test: 100);
        var training = new TrainingSettings
        {
            Epochs = 4,
            BatchSize = 20,
            Optimizer = optimizer,
            LearningRate = optimizer == OptimizerKind.Adam ? 1e-3 : 0.05,
            Momentum = momentum,
            WeightDecay = weightDecay,
            Seed = 3,
        };

        // Prune after every epoch inside the run, with no rewinding: momentum and moments gathered before each
        // event are live when it happens, which is when revived weights would show.
        var pruning = new PruningSettings { Schedule = new EveryEpochSchedule(0.5, 0.05), Rewind = Rewind.None };
        using var run = new PruningRun(() => new TwoLayerNet(784, 32, 10), training, pruning);
        var checker = new ZeroChecker(run.Masks!);
        run.Hooks.Add(checker);
        var result = run.Execute(data);

        Assert.Equal(4 * 60, checker.Steps);
        Assert.Equal(0, checker.Violations);
        Assert.Equal(4, result.Final.PruningEvents.Count);
        Assert.True(run.Masks!.WeightsRemaining < 0.07);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Sgd)]
    public void Pruned_positions_do_not_feed_the_optimizer_state(OptimizerKind kind)
    {
        manual_seed(5);
        using var net = new TwoLayerNet(8, 6, 3);
        using var masks = MaskSet.Attach(net);
        var settings = new TrainingSettings { Optimizer = kind, Momentum = 0.9, WeightDecay = 1e-2, LearningRate = 0.01, BatchSize = 4, Epochs = 1, Seed = 5 };
        using var trainer = new Trainer(net, settings, masks);
        using var images = rand(40, 8);
        using var labels = randint(0, 3, [40]);
        using var train = new Lottery.Data.TensorDataSet("random", images.clone(), labels.clone(), 3);
        trainer.TrainEpoch(train, 0, 1);

        using (var generator = new Generator(1))
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        masks.ApplyToOptimizerState(trainer.Optimizer);
        AssertStateZeroAtPrunedEntries(trainer, masks);
        trainer.TrainEpoch(train, 0, 2);
        AssertStateZeroAtPrunedEntries(trainer, masks);
    }

    /// <summary>
    /// SGD momentum and Adam's first moment are exactly zero at pruned entries; Adam's second moment there is
    /// one uniform value (the neutral constant, decayed alike everywhere), so no gradient reached any of them.
    /// </summary>
    private static void AssertStateZeroAtPrunedEntries(Trainer trainer, MaskSet masks)
    {
        var helper = (OptimizerHelper)trainer.Optimizer;
        var parameters = helper.parameters().ToList();
        var states = helper.state_dict().State;
        var checkedTensors = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            var weight = masks.Weights.FirstOrDefault(w => w.Parameter.Handle == parameters[i].Handle);
            if (weight is null)
            {
                continue;
            }

            Tensor?[] zeroed = states[i] switch
            {
                SGD.State s => [s.momentum_buffer],
                Adam.State a => [a.exp_avg],
                _ => [],
            };
            foreach (var t in zeroed.OfType<Tensor>())
            {
                using var pruned = t.masked_select(weight.Mask.eq(0));
                Assert.Equal(0, pruned.count_nonzero().item<long>());
                using var alive = t.masked_select(weight.Mask.ne(0));
                Assert.True(alive.count_nonzero().item<long>() > 0, "the state of surviving weights should be live");
                checkedTensors++;
            }

            if (states[i] is Adam.State adam)
            {
                using var pruned = adam.exp_avg_sq.masked_select(weight.Mask.eq(0));
                Assert.Equal(pruned.max().item<float>(), pruned.min().item<float>());
                Assert.True(pruned.min().item<float>() > 0);
            }
        }

        Assert.True(checkedTensors >= 2);
    }
}
