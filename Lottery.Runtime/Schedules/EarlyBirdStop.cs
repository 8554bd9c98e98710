namespace Lottery.Schedules;

/// <summary>
/// Early-Bird's stop (You et al. 2020) for a schedule that prunes during one run: once the distance between
/// consecutive epochs' drawn masks (<see cref="Training.EpochMetrics.MaskDistance"/>) has stayed below
/// <paramref name="Distance"/> for <paramref name="Epochs"/> epochs in a row, the model is pruned straight to the
/// schedule's target with the mask drawn then, and the schedule prunes no more; training goes on to the last epoch.
/// </summary>
/// <param name="Distance">The threshold, a fraction of the prunable entries in (0, 1); the paper's 0.1.</param>
/// <param name="Epochs">How many epochs in a row the distance must stay below it; the paper's 5.</param>
public sealed record EarlyBirdStop(double Distance = 0.1, int Epochs = 5)
{
    /// <summary>Whether the last <see cref="Epochs"/> of <paramref name="distances"/> (in epoch order) are all known and below <see cref="Distance"/>.</summary>
    public bool Stops(IReadOnlyList<double?> distances)
    {
        ArgumentNullException.ThrowIfNull(distances);
        return distances.Count >= Epochs && distances.Skip(distances.Count - Epochs).All(d => d is { } known && known < Distance);
    }
}
