using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Tests.Criteria;

/// <summary>Pruning at initialisation as a schedule, and the data-hungry criteria inside whole runs.</summary>
public class PruningAtInitTests
{
    // TwoLayerNet(784, 24, 10): 784 * 24 + 24 * 10 = 19,056 prunable weights; 7% of them is round(1,333.92) = 1,334.
    private const long Weights = 19_056;
    private const long AtSevenPercent = 1_334;

    [Fact]
    public void An_AtInit_Snip_run_fixes_its_masks_before_the_first_batch_and_pruned_weights_stay_zero()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        var method = new PruningMethod { Schedule = ScheduleKind.AtInit, TargetRemaining = 0.07, Criterion = CriterionKind.Snip, Scope = PruningScope.Global };
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 2, Seed = 3, BatchSize = 50 }, method.ToSettings());
        var watcher = new MaskWatcher(run.Masks!);
        run.Hooks.Add(watcher);

        var result = run.Execute(data);

        Assert.Equal(AtSevenPercent, watcher.RemainingBeforeTraining);
        Assert.Equal(12, watcher.BatchesChecked);   // 300 / 50 batches in each of 2 epochs, every one with the same masks
        var pruning = Assert.Single(result.Rounds[0].PruningEvents);
        Assert.Equal(1.0, pruning.WeightsRemainingBefore);
        Assert.Equal((double)AtSevenPercent / Weights, pruning.WeightsRemainingAfter, 12);
        Assert.All(result.Rounds[0].Epochs, e => Assert.Equal((double)AtSevenPercent / Weights, e.WeightsRemaining, 12));
        Assert.Equal(AtSevenPercent, run.Masks!.Remaining);

        // Another run of the same seed draws the same batch, so it keeps the same weights; magnitude at initialisation
        // keeps others (so the masks above are SNIP's).
        Assert.Equal(watcher.Masks, MasksAtInit(data, method));
        Assert.NotEqual(watcher.Masks, MasksAtInit(data, method with { Criterion = CriterionKind.Magnitude }));
    }

    [Fact]
    public void An_AtInit_SynFlow_run_reaches_its_target_exactly()
    {
        using var data = TestData.SmallDigits(train: 100, validation: 20, test: 20);
        var method = new PruningMethod { Schedule = ScheduleKind.AtInit, TargetRemaining = 0.07, Criterion = CriterionKind.SynFlow, Scope = PruningScope.Global };
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 1, Seed = 3, BatchSize = 50 }, method.ToSettings());

        run.Execute(data);

        Assert.Equal(AtSevenPercent, run.Masks!.Remaining);
    }

    [Fact]
    public void Movement_prunes_inside_a_Gradual_run()
    {
        using var data = TestData.SmallDigits(train: 200, validation: 40, test: 40);
        var method = new PruningMethod { Schedule = ScheduleKind.Gradual, TargetRemaining = 0.3, StartEpoch = 1, EndEpoch = 3, Criterion = CriterionKind.Movement };
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 3, Seed = 3, BatchSize = 50 }, method.ToSettings());

        var result = run.Execute(data);

        // The cubic asks for nothing after its start epoch (initial sparsity 0), then 38.75% and 30% after epochs 2 and 3.
        Assert.Equal(2, result.Rounds[0].PruningEvents.Count);
        Assert.Equal(0.3, run.WeightsRemaining, 3);
    }

    [Theory]
    [InlineData(CriterionKind.Movement)]
    [InlineData(CriterionKind.LeastChange)]
    [InlineData(CriterionKind.MagnitudeIncrease)]
    public void Criteria_that_need_training_are_refused_at_initialisation(CriterionKind criterion)
    {
        var method = new PruningMethod { Schedule = ScheduleKind.AtInit, TargetRemaining = 0.1, Criterion = criterion };
        var error = Assert.Throws<ArgumentException>(() => method.Validate());
        Assert.Equal($"PruningMethod.Criterion: the criterion {criterion} needs training before it can score, but AtInit prunes before any; use Snip, SynFlow, Magnitude or Random.", error.Message);

        var byLayer = new PruningMethod { Schedule = ScheduleKind.AtInit, TargetRemaining = 0.1, Layers = [new LayerOverride("second") { Criterion = criterion }] };
        Assert.Contains($"second's criterion {criterion} needs training", Assert.Throws<ArgumentException>(() => byLayer.Validate()).Message, StringComparison.Ordinal);

        // A layer's own criterion set on the masks, not in the method, is refused by the run.
        var settings = new PruningSettings { Schedule = new AtInitSchedule(0.1), Masks = new MaskOptions { LayerCriteria = new Dictionary<string, IPruningCriterion> { ["second"] = PruningCriteria.Of(criterion) } } };
        var runError = Assert.Throws<ArgumentException>(() => new PruningRun(() => new TwoLayerNet(4, 3, 2), new TrainingSettings(), settings));
        Assert.StartsWith($"The {criterion} criterion needs training before it can score, but the AtInit schedule prunes before any", runError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtInit_prunes_before_the_first_round_only()
    {
        var schedule = new AtInitSchedule(0.1, rate: 0.3);
        Assert.Equal(PruningAmount.ToRemaining(0.1, 0.3), schedule.BeforeRound(new PruningProgress(0, 0, 5, 1.0)));
        Assert.Null(schedule.BeforeRound(new PruningProgress(1, 0, 5, 0.1)));
        Assert.Null(schedule.AfterEpoch(new PruningProgress(0, 1, 5, 0.1)));
        Assert.Null(schedule.AfterRound(new PruningProgress(0, 5, 5, 0.1)));
        Assert.Null(((IPruningSchedule)new EveryEpochSchedule(0.2, 0.1)).BeforeRound(new PruningProgress(0, 0, 5, 1.0)));
    }

    [Fact]
    public void An_AtInit_method_round_trips_through_JSON_and_the_scoring_batch_is_left_out_when_not_given()
    {
        var method = new PruningMethod { Schedule = ScheduleKind.AtInit, TargetRemaining = 0.07, Criterion = CriterionKind.Snip, ScoringBatchSize = 256 };
        Assert.Equal(method, PruningMethod.FromJson(method.ToJson()));
        Assert.Contains("\"Schedule\": \"AtInit\"", method.ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"ScoringBatchSize\": 256", method.ToJson(), StringComparison.Ordinal);
        Assert.Equal(256, method.ToSettings().ScoringBatchSize);
        Assert.Equal("AtInit before training to 7%, Snip, scoring batch 256, Layerwise, rewind None", method.ToString());

        var magnitude = new PruningMethod { Schedule = ScheduleKind.EveryEpoch, TargetRemaining = 0.07 };
        Assert.DoesNotContain("ScoringBatchSize", magnitude.ToJson(), StringComparison.Ordinal);
        Assert.Equal(PruningContext.DefaultScoringBatchSize, magnitude.ToSettings().ScoringBatchSize);
        Assert.Throws<ArgumentException>(() => (method with { ScoringBatchSize = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (method with { TargetRemaining = null }).Validate());
    }

    private static float[] MasksAtInit(Lottery.Data.DataSplit data, PruningMethod method)
    {
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 1, Seed = 3, BatchSize = 50 }, method.ToSettings());
        var watcher = new MaskWatcher(run.Masks!);
        run.Hooks.Add(watcher);
        run.Execute(data);
        return watcher.Masks;
    }

    /// <summary>Takes the masks as the first round starts and checks, after every batch, that they have not moved and pruned weights are zero.</summary>
    private sealed class MaskWatcher(MaskSet masks) : ITrainingHooks
    {
        public long RemainingBeforeTraining { get; private set; } = -1;

        public int BatchesChecked { get; private set; }

        /// <summary>Every mask entry as the round starts, the masks one after another in their order.</summary>
        public float[] Masks { get; private set; } = [];

        public void BeforeRound(int round, double weightsRemaining)
        {
            RemainingBeforeTraining = masks.Remaining;
            Masks = Flat();
        }

        public void AfterBatch(BatchProgress progress)
        {
            Assert.Equal(Masks, Flat());
            foreach (var weight in masks.Weights)
            {
                using var scope = NewDisposeScope();
                Assert.Equal(0, weight.Parameter.detach().masked_select(weight.Mask.eq(0)).count_nonzero().item<long>());
            }

            BatchesChecked++;
        }

        private float[] Flat() => masks.Weights.SelectMany(w => TestData.Values(w.Mask)).ToArray();
    }
}
