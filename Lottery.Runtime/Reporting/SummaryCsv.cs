using System.Globalization;
using System.Text;

namespace Lottery.Reporting;

/// <summary>The summary as CSV: one line per arm, seed and point, numbers in the invariant culture.</summary>
public static class SummaryCsv
{
    /// <summary>The columns, in order.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "experiment", "arm", "schedule", "criterion", "rewind", "seed", "point", "weights_remaining_pct",
        "test_accuracy_final", "test_accuracy_best_validation", "best_validation_iteration", "epochs_trained", "training_seconds", "run",
        "scope", "rate", "start_epoch", "end_epoch", "training_multiply_adds", "inference_multiply_adds", "mask_overlap_with_matched", "mask_settled_epoch",
    ];

    /// <summary>The CSV text, header first.</summary>
    public static string Write(ExperimentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var csv = new StringBuilder(string.Join(',', Columns)).Append('\n');
        foreach (var r in summary.Rows)
        {
            csv.Append(string.Join(',',
                summary.Record.Name, r.Arm, r.Schedule, r.Criterion, r.Rewind, Invariant(r.Seed), Invariant(r.Point),
                r.WeightsRemainingPercent.ToString("0.####", CultureInfo.InvariantCulture),
                r.TestAccuracyFinal.ToString("0.####", CultureInfo.InvariantCulture),
                r.TestAccuracyAtBestValidation.ToString("0.####", CultureInfo.InvariantCulture),
                Invariant(r.BestValidationIteration), Invariant(r.EpochsTrained),
                r.TrainingSeconds.ToString("0.##", CultureInfo.InvariantCulture), r.Run,
                r.Scope,
                r.Rate?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty,
                r.StartEpoch is { } start ? Invariant(start) : string.Empty,
                r.EndEpoch is { } end ? Invariant(end) : string.Empty,
                r.TrainingMultiplyAdds is { } training ? Invariant(training) : string.Empty,
                r.InferenceMultiplyAdds is { } inference ? Invariant(inference) : string.Empty,
                r.OverlapWithMatched?.ToString("0.####", CultureInfo.InvariantCulture) ?? string.Empty,
                r.MaskSettledEpoch is { } settled ? Invariant(settled) : string.Empty)).Append('\n');
        }

        return csv.ToString();
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
