using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Measures;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Runs;

/// <summary>
/// Early-Bird's drawn mask (You et al. 2020): the mask a run's criterion and scope would keep at the run's target from
/// the weights as they are now, drawn after every epoch; the distance between consecutive epochs' drawn masks says
/// when the mask stops changing. Drawing leaves the model, its masks and the run's random numbers as they were.
/// </summary>
public static class MaskDraw
{
    /// <summary>
    /// The fraction of prunable weights a drawn mask keeps: the schedule's target, or for an Iterative schedule
    /// given by its rounds alone, what its rounds leave ((1 - rate)^rounds); null when the schedule states neither.
    /// </summary>
    public static double? Target(IPruningSchedule schedule) => schedule switch
    {
        { TargetRemaining: > 0 } => schedule.TargetRemaining,
        IterativeSchedule iterative => Math.Pow(1 - iterative.Rate, iterative.Rounds),
        _ => null,
    };

    /// <summary>Draws the mask (the current masks when they already keep no more than the target).</summary>
    public static MaskBits Draw(nn.Module model, MaskSet masks, IPruningSchedule schedule, PruningScope scope, IPruningCriterion criterion, long seed, int round, int epoch)
    {
        var saved = masks.CopyMasks();
        try
        {
            if (Target(schedule) is not { } target || masks.WeightsRemaining <= target + 1e-12)
            {
                return MaskBits.Of(saved);
            }

            using var weights = WeightSnapshot.Take(model);
            using var random = new Generator(unchecked(((ulong)seed * 0x2545F4914F6CDD1DUL) + ((ulong)round << 20) + (ulong)epoch));
            try
            {
                Pruner.Prune(masks, PruningAmount.ToRemaining(target, schedule.Rate), scope, criterion, random);
                var drawn = masks.CopyMasks();
                try
                {
                    return MaskBits.Of(drawn);
                }
                finally
                {
                    foreach (var mask in drawn.Values)
                    {
                        mask.Dispose();
                    }
                }
            }
            finally
            {
                masks.LoadMasks(saved);
                weights.RestoreInto(model);
            }
        }
        finally
        {
            foreach (var mask in saved.Values)
            {
                mask.Dispose();
            }
        }
    }
}
