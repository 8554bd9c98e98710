namespace Lottery.Schedules;

/// <summary>The range checks every schedule makes on its settings, with messages that say what to do.</summary>
internal static class ScheduleValidation
{
    public static double Rate(double rate, string parameter = "rate") =>
        rate > 0 && rate < 1
            ? rate
            : throw new ArgumentOutOfRangeException(parameter, rate, "The rate is the fraction of the remaining weights removed at each pruning event; give a value in (0, 1), for example 0.2.");

    public static double Target(double target, string parameter = "targetRemaining") =>
        target > 0 && target <= 1
            ? target
            : throw new ArgumentOutOfRangeException(parameter, target, "The target is the fraction of the prunable weights left at the end; give a value in (0, 1], for example 0.1.");

    public static int Epoch(int epoch, string parameter) =>
        epoch >= 1
            ? epoch
            : throw new ArgumentOutOfRangeException(parameter, epoch, "Epochs are counted from 1 (pruning happens after an epoch ends).");

    public static void Order(int start, int end, string startParameter)
    {
        if (end < start)
        {
            throw new ArgumentOutOfRangeException(startParameter, start, $"The start epoch {start} comes after the end epoch {end}.");
        }
    }
}
