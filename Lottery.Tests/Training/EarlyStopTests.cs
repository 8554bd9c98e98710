using Lottery.Reporting;
using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;

namespace Lottery.Tests.Training;

/// <summary>The early-stopping point of a round is an epoch that trained the round's final mask, never a denser one.</summary>
public class EarlyStopTests
{
    [Fact]
    public void The_early_stop_is_the_lowest_validation_loss_among_the_epochs_at_the_final_weights_remaining()
    {
        // The lowest validation loss overall (0.1, epoch 1) had all the weights; at the final 25% the lowest is epoch 4's.
        var epochs = Epochs((1.0, 0.1, 0.90), (0.5, 0.2, 0.80), (0.25, 0.5, 0.70), (0.25, 0.4, 0.75));

        Assert.Equal((0.75, 400L), RoundResult.EarlyStop(epochs, 0.25, new Evaluation(0.3, 0.74)));
        // Pruned after the last epoch: no epoch trained the final mask, so the round's end is the early stop.
        Assert.Equal((0.74, 400L), RoundResult.EarlyStop(epochs, 0.125, new Evaluation(0.3, 0.74)));
        // IMP's round: every epoch trained the same mask, so the lowest loss of all.
        var imp = Epochs((0.8, 0.3, 0.85), (0.8, 0.2, 0.87), (0.8, 0.25, 0.86));
        Assert.Equal((0.87, 200L), RoundResult.EarlyStop(imp, 0.8, new Evaluation(0.25, 0.86)));
    }

    [Fact]
    public void A_one_run_schedule_s_early_stop_comes_after_its_last_pruning_event()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 100, test: 100);
        var method = new PruningMethod { Schedule = Lottery.ScheduleKind.EveryEpoch, Rate = 0.5, TargetRemaining = 0.1, EndEpoch = 4 };
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 6, Seed = 2, BatchSize = 50 }, method.ToSettings());

        var round = run.Execute(data).Rounds.Single();

        // Pruned after epochs 1 to 4: only epochs 5 and 6 trained the final mask.
        var atFinal = round.Epochs.Where(e => e.Epoch >= 5).ToList();
        Assert.All(atFinal, e => Assert.Equal(round.WeightsRemaining, e.WeightsRemaining, 12));
        var best = atFinal.MinBy(e => e.Validation.Loss)!;
        Assert.Equal((best.Test.Accuracy, best.Iteration), (round.TestAccuracyAtBestValidation, round.BestValidationLossIteration));
    }

    [Fact]
    public void A_dynamic_sparse_mask_is_final_only_from_its_last_update_batch_and_the_early_stop_waits_for_it()
    {
        // 4 epochs of 100 batches, an update every 70 batches for the first 3/4 (to batch 300): the last at batch 280.
        Assert.Equal(280, new DynamicSparseSchedule(0.1, RegrowthKind.Random, updateEvery: 70).FinalMaskFrom(4, 100));
        // Updating to the end of epoch 2 (batch 200): the last at batch 140; every 50 batches: at batch 200 itself.
        Assert.Equal(140, new DynamicSparseSchedule(0.1, RegrowthKind.Random, updateEvery: 70, endEpoch: 2).FinalMaskFrom(4, 100));
        Assert.Equal(200, new DynamicSparseSchedule(0.1, RegrowthKind.Random, updateEvery: 50, endEpoch: 2).FinalMaskFrom(4, 100));

        // Every epoch at 10% of the weights, so the weights remaining cannot tell the masks apart. The lowest validation
        // loss (epoch 1's) was measured with a mask that later updates changed; of the epochs that ended at or after
        // batch 280 (epochs 3 and 4), epoch 4's is the lowest.
        var epochs = Epochs((0.1, 0.1, 0.90), (0.1, 0.2, 0.85), (0.1, 0.5, 0.70), (0.1, 0.4, 0.75));
        Assert.Equal((0.75, 400L), RoundResult.EarlyStop(epochs, 0.1, new Evaluation(0.4, 0.75), finalMaskFrom: 280));
        Assert.Equal([3, 4], RoundResult.AtFinalMask(epochs, 0.1, 280).Select(e => e.Epoch));
        // A mask final from batch 300 exactly: epoch 3, evaluated after that batch's update, counts.
        Assert.Equal([3, 4], RoundResult.AtFinalMask(epochs, 0.1, 300).Select(e => e.Epoch));
        Assert.Equal([4], RoundResult.AtFinalMask(epochs, 0.1, 301).Select(e => e.Epoch));
    }

    [Fact]
    public void A_dynamic_sparse_run_and_its_summary_row_stop_early_at_an_epoch_after_the_last_mask_update()
    {
        // Few training images and a high learning rate: the validation loss is lowest early, long before the last update.
        using var data = TestData.SmallDigits(train: 100, validation: 100, test: 100);
        var method = new PruningMethod { Schedule = ScheduleKind.DynamicSparse, TargetRemaining = 0.5, Regrowth = RegrowthKind.Random, Criterion = CriterionKind.Random, UpdateEvery = 4, EndEpoch = 10 };
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 12, Seed = 2, BatchSize = 10, LearningRate = 2e-2 }, method.ToSettings());

        var result = run.Execute(data);
        var round = result.Rounds.Single();

        // 10 batches an epoch; updates every 4 batches to the end of epoch 10 (batch 100), the last at batch 100: epochs
        // 10 to 12 ended with the final mask. The lowest validation loss of all was measured with another mask.
        Assert.Equal(100, run.Topology!.FinalMaskFrom);
        Assert.True(round.Epochs.MinBy(e => e.Validation.Loss)!.Epoch < 10, "the lowest validation loss of all is at the final mask, so this run cannot tell: " + string.Join(" ", round.Epochs.Select(e => e.Validation.Loss.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture))));
        var best = round.Epochs.Where(e => e.Epoch >= 10).MinBy(e => e.Validation.Loss)!;
        Assert.Equal((best.Test.Accuracy, best.Iteration), (round.TestAccuracyAtBestValidation, round.BestValidationLossIteration));
        Assert.Equal(best.Validation.Loss, round.BestValidationLoss);

        // The summary recomputes the early stop of saved runs from their epochs and method alone, to the same epoch.
        var row = ExperimentSummary.RowsOf(new RecordedRun("set-s2", "Set", 2, 0, method, TrainsGivenMask: false), result).Single();
        Assert.Equal((best.Test.Accuracy, best.Iteration), (row.TestAccuracyAtBestValidation, row.BestValidationIteration));
    }

    [Fact]
    public void Pruned_after_the_last_epoch_the_early_stop_is_the_model_the_round_ends_with_in_loss_iteration_and_accuracy()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 100, test: 100);
        var method = new PruningMethod { Schedule = Lottery.ScheduleKind.OneShot, Rate = 0.5, TargetRemaining = 0.3, StartEpoch = 2 };
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 2, Seed = 2, BatchSize = 50 }, method.ToSettings());

        var round = run.Execute(data).Rounds.Single();

        // No epoch trained the pruned model: its loss and accuracy are the round's end, not epoch 2's before pruning.
        Assert.All(round.Epochs, e => Assert.NotEqual(round.WeightsRemaining, e.WeightsRemaining, 6));
        Assert.Equal(round.FinalValidation.Loss, round.BestValidationLoss);
        Assert.Equal(round.FinalTest.Accuracy, round.TestAccuracyAtBestValidation);
        Assert.Equal(round.Epochs[^1].Iteration, round.BestValidationLossIteration);
        Assert.NotEqual(round.Epochs[^1].Validation.Loss, round.BestValidationLoss);
    }

    private static List<EpochMetrics> Epochs(params (double Weights, double ValidationLoss, double TestAccuracy)[] epochs) =>
        epochs.Select((e, i) => new EpochMetrics
        {
            Round = 0, Epoch = i + 1, Iteration = (i + 1) * 100, TrainLoss = 0, Validation = new Evaluation(e.ValidationLoss, 0.5),
            Test = new Evaluation(0.5, e.TestAccuracy), WeightsRemaining = e.Weights, LearningRate = 0.1, TrainingSeconds = 0,
        }).ToList();
}
