using Lottery.Runs;
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

    private static List<EpochMetrics> Epochs(params (double Weights, double ValidationLoss, double TestAccuracy)[] epochs) =>
        epochs.Select((e, i) => new EpochMetrics
        {
            Round = 0, Epoch = i + 1, Iteration = (i + 1) * 100, TrainLoss = 0, Validation = new Evaluation(e.ValidationLoss, 0.5),
            Test = new Evaluation(0.5, e.TestAccuracy), WeightsRemaining = e.Weights, LearningRate = 0.1, TrainingSeconds = 0,
        }).ToList();
}
