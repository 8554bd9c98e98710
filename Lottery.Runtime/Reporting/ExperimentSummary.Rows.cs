using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;

namespace Lottery.Reporting;

/// <summary>The summary's rows: one per run and point (per round for an Iterative arm), with the early stop and when the mask settled.</summary>
public sealed partial class ExperimentSummary
{
    /// <summary>
    /// The iteration from which <paramref name="round"/>'s mask was final when its run's schedule changes the mask at a
    /// constant density (DynamicSparse: its last update, from the round's epochs and their batches); 0 otherwise.
    /// </summary>
    private static long FinalMaskFrom(RecordedRun run, Training.RoundResult round) =>
        !run.TrainsGivenMask && round.Epochs.Count > 0 && run.Method.ToSettings().Schedule is DynamicSparseSchedule dynamic
            ? dynamic.FinalMaskFrom(round.Epochs.Count, round.Epochs[0].Iteration)
            : 0;

    /// <summary>The rows one run contributes: one per round for an IMP run, one for any other run.</summary>
    public static IEnumerable<SummaryRow> RowsOf(RecordedRun run, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        var method = run.Method;
        var perRound = method.TrainsInRounds && !run.TrainsGivenMask;
        var prunes = method.Schedule is not null;
        var schedule = run.TrainsGivenMask ? "FixedMask" : method.Schedule?.ToString() ?? "Dense";
        var epochs = 0;
        double seconds = 0;
        long? multiplyAdds = 0;
        foreach (var round in result.Rounds)
        {
            epochs += round.Epochs.Count;
            seconds += round.TrainingSeconds;
            multiplyAdds = multiplyAdds + RunResult.Sum(round.Epochs.Select(e => e.TrainingMultiplyAdds));
            if (perRound || round == result.Final)
            {
                // Recomputed, so that runs saved before the early stop was restricted to the final mask report it right.
                var earlyStop = Training.RoundResult.EarlyStop(round.Epochs, round.WeightsRemaining, round.FinalTest, FinalMaskFrom(run, round));
                yield return new SummaryRow(
                    run.Arm,
                    schedule,
                    prunes ? method.CriterionDisplayName : string.Empty,
                    method.RewindValue.ToString(),
                    run.Seed,
                    perRound ? round.Round : run.Point,
                    round.WeightsRemaining * 100,
                    round.FinalTest.Accuracy,
                    earlyStop.TestAccuracy,
                    earlyStop.Iteration,
                    epochs,
                    seconds,
                    run.Id,
                    prunes ? method.Scope.ToString() : string.Empty,
                    prunes ? method.Rate : null,
                    prunes ? method.StartEpoch : null,
                    prunes ? method.EndEpoch : null)
                {
                    Round = round.Round,
                    TrainingMultiplyAdds = multiplyAdds,
                    InferenceMultiplyAdds = round.InferenceMultiplyAdds,
                    MaskSettledEpoch = SettledEpoch(round),
                };
            }
        }
    }

    /// <summary>The first epoch of <paramref name="round"/> at which Early-Bird's test (0.1, 5 epochs) says its drawn mask had settled; null when never.</summary>
    public static int? SettledEpoch(Training.RoundResult round)
    {
        ArgumentNullException.ThrowIfNull(round);
        var test = new Schedules.EarlyBirdStop();
        var distances = new List<double?>();
        foreach (var epoch in round.Epochs)
        {
            distances.Add(epoch.MaskDistance);
            if (test.Stops(distances))
            {
                return epoch.Epoch;
            }
        }

        return null;
    }
}
