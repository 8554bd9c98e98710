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
        IterativeSchedule iterative => Reach.Remaining(iterative.Rate, iterative.Rounds),
        _ => null,
    };

    /// <summary>Draws the mask (the current masks when they already keep no more than the target).</summary>
    /// <param name="model">The model, whose weights are put back afterwards.</param>
    /// <param name="masks">Its masks, put back afterwards.</param>
    /// <param name="schedule">The run's schedule: its target, and its rate for sharing the removal between layers.</param>
    /// <param name="scope">The run's scope.</param>
    /// <param name="criterion">The run's criterion.</param>
    /// <param name="seed">The run's seed, with <paramref name="round"/> and <paramref name="epoch"/> seeding the draw's own random numbers.</param>
    /// <param name="round">The round.</param>
    /// <param name="epoch">The epoch just trained (0: before the first).</param>
    /// <param name="context">
    /// What a criterion that needs more than weights scores with (the model, data, the loss, what training gathered), made
    /// around the draw's own random numbers; null for the masks and random numbers alone.
    /// </param>
    public static MaskBits Draw(nn.Module model, MaskSet masks, IPruningSchedule schedule, PruningScope scope, IPruningCriterion criterion, long seed, int round, int epoch, Func<Generator, PruningContext>? context = null)
    {
        if (Target(schedule) is not { } target || masks.WeightsRemaining <= target + 1e-12)
        {
            return MaskBits.Of(masks);
        }

        // Whatever scoring makes ends here; the masks' copy and the snapshot put the run back as it was.
        using var tensors = NewDisposeScope();
        var saved = masks.CopyMasks();
        using var weights = WeightSnapshot.Take(model);
        using var random = new Generator(unchecked(((ulong)seed * 0x2545F4914F6CDD1DUL) + ((ulong)round << 20) + (ulong)epoch));
        try
        {
            Pruner.Prune(context?.Invoke(random) ?? new PruningContext(masks, random), PruningAmount.ToRemaining(target, schedule.Rate), scope, criterion);
            return MaskBits.Of(masks);
        }
        finally
        {
            masks.LoadMasks(saved);
            weights.RestoreInto(model);
            foreach (var mask in saved.Values)
            {
                mask.Dispose();
            }
        }
    }
}
