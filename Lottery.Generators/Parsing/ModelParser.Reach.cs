using Lottery.Generators.Models;
using Lottery.Schedules;

namespace Lottery.Generators.Parsing;

/// <summary>Whether a schedule reaches its target (LTH0009).</summary>
internal static partial class ModelParser
{
    /// <summary>
    /// Where a schedule stops when it runs out of pruning events before its target, counting at the schedule's
    /// rate; <paramref name="epochs"/> is the training length when known (from an experiment).
    /// </summary>
    public static (double Reached, string Why)? UnreachedTarget(ScheduleInfo schedule, int? epochs)
    {
        if (schedule.TargetRemaining is not { } target)
        {
            return null;
        }

        var percent = Format.Percent(schedule.Rate);
        switch (schedule.Kind)
        {
            case "EveryEpoch":
            {
                var start = schedule.StartEpoch ?? 1;
                var last = Math.Min(schedule.EndEpoch ?? int.MaxValue, epochs ?? int.MaxValue);
                if (last == int.MaxValue)
                {
                    return null;
                }

                var events = Reach.EveryEpochEvents(schedule.StartEpoch, schedule.EndEpoch, last);
                var reached = Reach.Remaining(schedule.Rate, events);
                var epochWord = events == 1 ? "epoch" : "epochs";
                return reached > target + 1e-9 ? (reached, $"{percent} per epoch over {events} {epochWord} (epochs {start} to {last})") : null;
            }

            case "Iterative" when schedule.Rounds is { } rounds:
            {
                var reached = Reach.Remaining(schedule.Rate, rounds);
                return reached > target + 1e-9 ? (reached, $"{percent} per round over {rounds} {(rounds == 1 ? "round" : "rounds")}") : null;
            }

            case "Gradual" when epochs is { } trained && schedule.EndEpoch > trained && schedule.StartEpoch is { } start:
            {
                var reached = Reach.GradualRemaining(trained, start, schedule.EndEpoch.Value, schedule.InitialSparsity, target);
                return (reached, $"training ends after epoch {trained}, before EndEpoch {schedule.EndEpoch}");
            }

            case "OneShot" when epochs is { } trained && schedule.StartEpoch > trained:
                return (1.0, $"training ends after epoch {trained}, before StartEpoch {schedule.StartEpoch}");

            default:
                return null;
        }
    }
}
