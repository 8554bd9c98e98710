using Lottery.Data;
using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Runs;

/// <summary>What the run measures: its costs in multiply-adds, and each round's results.</summary>
public sealed partial class PruningRun : IDisposable
{
    /// <summary>The model's multiply-add counts, probed with the first training example (none without training data).</summary>
    private Measures.MultiplyAdds? ProbeCosts(DataSplit data)
    {
        if (data.Train.Count == 0)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        var example = data.Train.Inputs.narrow(0, 0, 1).to(TrainingDevice.Of(Model));
        return Measures.MultiplyAdds.Probe(Model, example);
    }

    private RoundResult Summarize(int round, List<EpochMetrics> metrics, List<PruningEvent> events, double trainingSeconds, DataSplit data, bool prunedAfterLastEvaluation)
    {
        // The last epoch's evaluation already describes the final model, unless a pruning event changed it since.
        var last = metrics[^1];
        var reuse = !prunedAfterLastEvaluation && Training.EvaluateTestEveryEpoch;
        var hasValidation = data.Validation.Count > 0;
        // Only epochs that trained the final mask: before a one-run schedule's last event the model had more weights.
        var weightsRemaining = WeightsRemaining;
        var finalMaskFrom = Topology?.FinalMaskFrom ?? 0; // A dynamic sparse mask is final only after its last update.
        var atFinalMask = RoundResult.AtFinalMask(metrics, weightsRemaining, finalMaskFrom);
        IReadOnlyList<EpochMetrics> candidates = hasValidation && atFinalMask.Count > 0 ? atFinalMask : [metrics[^1]];
        var bestAccuracy = candidates.MaxBy(m => m.Validation.Accuracy)!;
        var finalTest = reuse ? last.Test : trainer.Evaluate(data.Test);
        var finalValidation = reuse ? last.Validation : trainer.Evaluate(data.Validation);
        // Its loss, iteration and test accuracy: one epoch, or with none at the final mask the model the round ends with.
        var earlyStop = RoundResult.EarlyStopEpoch(metrics, weightsRemaining, finalMaskFrom);
        return new RoundResult
        {
            Round = round,
            WeightsRemaining = WeightsRemaining,
            Epochs = metrics,
            FinalTest = finalTest,
            FinalValidation = finalValidation,
            BestValidationAccuracy = bestAccuracy.Validation.Accuracy,
            BestValidationAccuracyIteration = bestAccuracy.Iteration,
            BestValidationLoss = earlyStop?.Validation.Loss ?? finalValidation.Loss,
            BestValidationLossIteration = (earlyStop ?? last).Iteration,
            TestAccuracyAtBestValidation = earlyStop?.Test.Accuracy ?? finalTest.Accuracy,
            PruningEvents = events,
            TrainingSeconds = trainingSeconds,
        };
    }
}
