using System;

namespace Lottery.Schedules;

/// <summary>
/// How far a schedule gets, counted at one rate for every layer: the arithmetic the generator's compile-time checks
/// (LTH0009, matched points in LTH0019) and the runtime's checks share. This file is compiled into both
/// Lottery.Runtime and Lottery.Generators, so the two cannot disagree.
/// </summary>
internal static class Reach
{
    /// <summary>The pruning events of an EveryEpoch schedule from <paramref name="startEpoch"/> (default 1) to <paramref name="endEpoch"/> (default: no end) within <paramref name="epochs"/>.</summary>
    public static int EveryEpochEvents(int? startEpoch, int? endEpoch, int epochs) =>
        Math.Max(0, Math.Min(epochs, endEpoch ?? int.MaxValue) - (startEpoch ?? 1) + 1);

    /// <summary>The fraction left after <paramref name="events"/> events, each removing <paramref name="rate"/> of what remains.</summary>
    public static double Remaining(double rate, int events) => Math.Pow(1 - rate, events);

    /// <summary>Events at <paramref name="rate"/> that remove as much as <paramref name="rounds"/> events at <paramref name="sourceRate"/>.</summary>
    public static int EventsToMatch(int rounds, double sourceRate, double rate) =>
        (int)Math.Ceiling((rounds * Math.Log(1 - sourceRate) / Math.Log(1 - rate)) - 1e-9);

    /// <summary>
    /// Zhu and Gupta's cubic schedule: the fraction of weights remaining after <paramref name="epoch"/>, from
    /// <paramref name="initialSparsity"/> at <paramref name="startEpoch"/> to <paramref name="targetRemaining"/> at
    /// <paramref name="endEpoch"/> (everything before the start, the target from the end on).
    /// </summary>
    public static double GradualRemaining(int epoch, int startEpoch, int endEpoch, double initialSparsity, double targetRemaining)
    {
        if (epoch < startEpoch)
        {
            return 1.0;
        }

        if (epoch >= endEpoch)
        {
            return targetRemaining;
        }

        var finalSparsity = 1 - targetRemaining;
        var progress = (double)(epoch - startEpoch) / (endEpoch - startEpoch);
        return 1 - (finalSparsity + ((initialSparsity - finalSparsity) * Math.Pow(1 - progress, 3)));
    }

    /// <summary>Events at <paramref name="rate"/> that bring the fraction remaining down to <paramref name="target"/> (0 when it is 1 or more).</summary>
    public static int EventsToReach(double target, double rate) =>
        target >= 1 ? 0 : (int)Math.Ceiling((Math.Log(target) / Math.Log(1 - rate)) - 1e-9);
}
