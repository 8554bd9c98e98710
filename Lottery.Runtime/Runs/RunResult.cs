using System.Text.Json.Serialization;
using Lottery.Training;

namespace Lottery.Runs;

/// <summary>Everything one pruning run measured.</summary>
/// <param name="Rounds">One entry per round of training.</param>
public sealed record RunResult(IReadOnlyList<RoundResult> Rounds)
{
    /// <summary>The last round.</summary>
    [JsonIgnore]
    public RoundResult Final => Rounds[^1];

    /// <summary>Fraction of prunable weights remaining at the end.</summary>
    [JsonIgnore]
    public double FinalWeightsRemaining => Final.WeightsRemaining;

    /// <summary>Epochs trained over all rounds (the training cost).</summary>
    [JsonIgnore]
    public int EpochsTrained => Rounds.Sum(r => r.Epochs.Count);

    /// <summary>Seconds spent training over all rounds.</summary>
    [JsonIgnore]
    public double TrainingSeconds => Rounds.Sum(r => r.TrainingSeconds);

    /// <summary>Multiply-adds of training over all rounds; null when an epoch's were not measured.</summary>
    [JsonIgnore]
    public long? TrainingMultiplyAdds => Sum(Rounds.SelectMany(r => r.Epochs).Select(e => e.TrainingMultiplyAdds));

    /// <summary>The sum of <paramref name="values"/>, or null when any is null.</summary>
    internal static long? Sum(IEnumerable<long?> values)
    {
        long total = 0;
        foreach (var value in values)
        {
            if (value is not { } known)
            {
                return null;
            }

            total += known;
        }

        return total;
    }
}
