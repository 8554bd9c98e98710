using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Masks;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Tests.Training;

public class PruningRunTests
{
    private static PruningSettings PaperImp(int rounds) => new()
    {
        Schedule = new IterativeSchedule(0.2, rounds: rounds),
        Rewind = Rewind.ToInit,
    };

    [Fact]
    public void LeNet_under_IMP_at_20_and_10_percent_keeps_the_papers_weights_remaining()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 1, Seed = 1 }, PaperImp(5));
        var result = run.Execute(data);

        // Exact counts: each layer keeps its remaining weights minus round(rate x remaining) per round.
        long Keep(long count, double rate, int rounds)
        {
            for (var i = 0; i < rounds; i++)
            {
                count -= (long)Math.Round(rate * count, MidpointRounding.AwayFromZero);
            }

            return count;
        }

        for (var round = 0; round <= 5; round++)
        {
            var expected = Keep(784 * 300, 0.2, round) + Keep(300 * 100, 0.2, round) + Keep(100 * 10, 0.1, round);
            Assert.Equal(expected / 266200.0, result.Rounds[round].WeightsRemaining, 12);
        }

        // The paper's figures, to their one decimal. (By the formula, round 4 leaves 41.05%: the paper prints 41.0.)
        var paper = new[] { 100.0, 80.0, 64.1, 51.3, 41.0, 32.9 };
        for (var round = 0; round <= 5; round++)
        {
            Assert.InRange(result.Rounds[round].WeightsRemaining * 100, paper[round] - 0.06, paper[round] + 0.06);
        }

        Assert.Equal(6, result.EpochsTrained);
    }

    [Fact]
    public void Conv2_prunes_its_convolutions_and_dense_layers_at_their_own_rates()
    {
        using var data = TestData.SmallDigits(train: 200, validation: 50, test: 50);
        var pruning = new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 1) };
        using var run = new PruningRun(() => new Conv2(), new TrainingSettings { Epochs = 1, Seed = 1, LearningRate = 2e-4 }, pruning);
        run.Execute(data);
        var remaining = run.Masks!.Weights.ToDictionary(w => w.Name, w => w.WeightsRemaining);
        Assert.Equal(new[] { "conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight", "fc3.weight" }, remaining.Keys);
        Assert.Equal(0.9, remaining["conv1.weight"], 2);
        Assert.Equal(0.9, remaining["conv2.weight"], 4);
        Assert.Equal(0.8, remaining["fc1.weight"], 4);
        Assert.Equal(0.8, remaining["fc2.weight"], 4);
        Assert.Equal(0.9, remaining["fc3.weight"], 4);
    }

    [Fact]
    public void The_same_seed_gives_the_same_masks_and_figures()
    {
        (Dictionary<string, float[]> Masks, List<EpochMetrics> Metrics) Run()
        {
            using var data = TestData.SmallDigits(train: 600, validation: 100, test: 100, seed: 21);
            var pruning = new PruningSettings { Schedule = new EveryEpochSchedule(0.3, 0.2), Criterion = PruningCriteria.LeastChange, Rewind = Rewind.None };
            using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 3, Seed = 21 }, pruning);
            var result = run.Execute(data);
            var masks = run.Masks!.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Mask));
            return (masks, result.Rounds.SelectMany(r => r.Epochs).Select(m => m with { TrainingSeconds = 0 }).ToList());
        }

        var first = Run();
        var second = Run();
        Assert.Equal(first.Masks.Keys, second.Masks.Keys);
        foreach (var name in first.Masks.Keys)
        {
            Assert.Equal(first.Masks[name], second.Masks[name]);
        }

        Assert.Equal(first.Metrics, second.Metrics);
        Assert.Contains(first.Masks.Values.SelectMany(m => m), v => v == 0f);
    }

    [Fact]
    public void A_short_run_on_the_embedded_digits_learns()
    {
        using var data = TestData.SmallDigits(train: 3000, validation: 500, test: 1000);
        using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 2, Seed = 2 }, PruningSettings.Dense);
        var result = run.Execute(data);
        Assert.Null(run.Masks);
        Assert.True(result.Final.FinalTest.Accuracy > 0.85, $"test accuracy {result.Final.FinalTest.Accuracy:P1} is not well above chance (10%)");
        Assert.True(result.Final.BestValidationAccuracy > 0.85);
        Assert.InRange(result.Final.BestValidationLossIteration, 1, result.Final.Epochs[^1].Iteration);
    }

    [Theory]
    [InlineData(0.2, 0.05, 5, 0.32768)]   // never reaches the target: 0.8^5
    [InlineData(0.2, 0.5, 5, 0.5)]        // reaches it after 4 events, the 4th clamped
    [InlineData(0.5, 0.1, 4, 0.1)]
    public void An_EveryEpoch_run_ends_at_the_weights_remaining_its_settings_imply(double rate, double target, int epochs, double expected)
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        var schedule = new EveryEpochSchedule(rate, target);
        // Every layer at the same rate (not the model's declared 10% for fc3), so the total follows the formula.
        var pruning = new PruningSettings { Schedule = schedule, Rewind = Rewind.None, Masks = new MaskOptions() };
        using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = epochs, Seed = 1 }, pruning);
        var result = run.Execute(data);

        Assert.Equal(expected, schedule.ExpectedWeightsRemaining(epochs), 6);
        Assert.Equal(expected, result.FinalWeightsRemaining, 4);
        Assert.Single(result.Rounds);
    }

    [Fact]
    public void Gradual_pruning_follows_the_cubic_and_ends_at_its_target()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        var schedule = new GradualSchedule(targetRemaining: 0.1, startEpoch: 1, endEpoch: 4);
        var seen = new List<double>();
        using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 5, Seed = 1 }, new PruningSettings { Schedule = schedule, Rewind = Rewind.None });
        var result = run.Execute(data);

        var remaining = result.Final.PruningEvents.Select(e => e.WeightsRemainingAfter).ToArray();

        // s_t = 0.9 + (0 - 0.9)(1 - t/3)^3 at t = 1, 2, 3 after the start: remaining 1 - s_t.
        var expected = new[] { 1 - (0.9 - (0.9 * Math.Pow(2.0 / 3, 3))), 1 - (0.9 - (0.9 * Math.Pow(1.0 / 3, 3))), 0.1 };
        Assert.Equal(expected.Length, remaining.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], remaining[i], 4);
        }
        Assert.Equal(0.1, result.FinalWeightsRemaining, 4);
    }

    [Fact]
    public void OneShot_prunes_once_to_its_target_between_two_rounds()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 1, Seed = 1 }, new PruningSettings { Schedule = new OneShotSchedule(0.2) });
        var result = run.Execute(data);
        Assert.Equal(2, result.Rounds.Count);
        Assert.Equal(0.2, result.FinalWeightsRemaining, 4);
    }

    [Fact]
    public void Masks_are_saved_and_loaded_with_the_model()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lottery-{Guid.NewGuid():N}.bin");
        try
        {
            Dictionary<string, float[]> saved;
            using (var data = TestData.SmallDigits(train: 300, validation: 60, test: 60))
            using (var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 1, Seed = 1 }, PaperImp(2)))
            {
                run.Execute(data);
                saved = run.Masks!.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Mask));
                run.Model.save(path);
            }

            manual_seed(99);
            using var model = new LeNet300100();
            using var masks = model.AttachMasks();
            Assert.Equal(1.0, masks.WeightsRemaining);
            model.load(path);
            masks.RefreshRemaining();
            Assert.Equal(0.641, masks.WeightsRemaining, 3);
            foreach (var weight in masks.Weights)
            {
                Assert.Equal(saved[weight.Name], TestData.Values(weight.Mask));
                using var pruned = weight.Parameter.detach().masked_select(weight.Mask.eq(0));
                Assert.Equal(0, pruned.count_nonzero().item<long>());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_saved_ticket_holds_the_masks_and_the_initial_weights_of_the_survivors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lottery-ticket-{Guid.NewGuid():N}.bin");
        try
        {
            Dictionary<string, float[]> masks, initial, trained;
            using (var data = TestData.SmallDigits(train: 300, validation: 60, test: 60))
            using (var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 1, Seed = 3 }, PaperImp(2)))
            {
                initial = run.Masks!.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Parameter));
                run.Execute(data);
                masks = run.Masks!.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Mask));
                trained = run.Masks!.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Parameter));
                run.SaveTicket(path);
                Assert.Equal(trained["fc1.weight"], TestData.Values(run.Masks!["fc1.weight"].Parameter));
            }

            manual_seed(123);
            using var model = new LeNet300100();
            using var loaded = MaskSet.Attach(model);
            Ticket.Load(model, loaded, path);
            foreach (var weight in loaded.Weights)
            {
                Assert.Equal(masks[weight.Name], TestData.Values(weight.Mask));
                var values = TestData.Values(weight.Parameter);
                for (var i = 0; i < values.Length; i++)
                {
                    Assert.Equal(masks[weight.Name][i] == 0 ? 0f : initial[weight.Name][i], values[i]);
                }
            }

            Assert.Equal(0.641, loaded.WeightsRemaining, 3);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_diverging_run_stops_with_an_error_that_says_where_and_what_to_do()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        using (no_grad())
        {
            data.Train.Inputs[5].fill_(float.NaN);
        }

        using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 1, Seed = 1 }, PaperImp(1));
        var error = Assert.Throws<TrainingDivergedException>(() => run.Execute(data));
        Assert.Equal(1, error.Epoch);
        Assert.Contains("Lower the learning rate", error.Message);
    }

    [Fact]
    public void The_mask_summary_lists_every_layer_and_the_total()
    {
        using var model = new LeNet300100();
        using var masks = MaskSet.Attach(model);
        using (var generator = new Generator(1))
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        var lines = masks.Describe().Split(Environment.NewLine);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("fc1.weight", lines[0]);
        Assert.Contains("300x784", lines[0]);
        Assert.Contains("117,600 / 235,200", lines[0]);
        Assert.Contains("50.00% remaining", lines[3]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Live_tensors_do_not_grow_from_one_epoch_to_the_next(bool checkpointing)
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 100);
        var folder = Path.Combine(Path.GetTempPath(), "lottery-live-" + Guid.NewGuid().ToString("N"));
        var pruning = new PruningSettings { Schedule = new EveryEpochSchedule(0.2, 0.1), Rewind = Rewind.None, Criterion = PruningCriteria.Random };
        using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 6, Seed = 1 }, pruning);
        var counter = new LiveTensorCounter();
        run.Hooks.Add(counter);
        try
        {
            run.Execute(data, checkpointing ? new CheckpointStore(folder) : null);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        Assert.Equal(6, counter.Counts.Count);

        // The optimizer creates its state on the first step, so compare from the second epoch on.
        Assert.All(counter.Counts.Skip(2), count => Assert.Equal(counter.Counts[1], count));
    }

    private sealed class LiveTensorCounter : ITrainingHooks
    {
        public List<long> Counts { get; } = [];

        public void AfterEpoch(EpochMetrics metrics)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Counts.Add(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }
}
