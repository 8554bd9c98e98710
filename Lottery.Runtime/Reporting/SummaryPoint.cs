namespace Lottery.Reporting;

/// <summary>One arm at one point, over the seeds.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Point">The point (see <see cref="SummaryRow.Point"/>).</param>
/// <param name="Seeds">How many seeds.</param>
/// <param name="WeightsRemainingPercent">Mean weights remaining, in percent.</param>
/// <param name="Final">Test accuracy at the end: mean, standard deviation, minimum, maximum.</param>
/// <param name="AtBestValidation">Test accuracy at early stopping: the same four.</param>
/// <param name="EpochsTrained">Mean epochs trained to reach the point.</param>
/// <param name="TrainingSeconds">Mean seconds trained to reach the point.</param>
public sealed record SummaryPoint(string Arm, int Point, int Seeds, double WeightsRemainingPercent, Spread Final, Spread AtBestValidation, double EpochsTrained, double TrainingSeconds);
