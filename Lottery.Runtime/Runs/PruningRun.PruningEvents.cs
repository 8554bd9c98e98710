using Lottery.Criteria;
using Lottery.Data;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.Runs;

/// <summary>One pruning event of the run: the amount, the drawn mask, the criterion's context.</summary>
public sealed partial class PruningRun : IDisposable
{
    /// <summary>
    /// With Early-Bird's stop, once its distances have stayed below the threshold long enough: pruning straight to the
    /// schedule's target (nothing when the masks already keep no more); null otherwise, and after it has stopped once.
    /// </summary>
    private PruningAmount? EarlyBirdAmount(RunState state)
    {
        if (Pruning.EarlyBird is not { } bird || state.EarlyBirdEpoch is not null || Pruning.Schedule is not { } schedule
            || !bird.Stops(state.Metrics.Select(m => m.MaskDistance).ToList()) || MaskDraw.Target(schedule) is not { } target)
        {
            return null;
        }

        return PruningAmount.ToRemaining(target, schedule.Rate);
    }

    /// <summary>Early-Bird's drawn mask after <paramref name="epoch"/> of <paramref name="round"/> (0: before the first); null for a dense run.</summary>
    private Measures.MaskBits? Draw(DataSplit data, int round, int epoch) =>
        Masks is null || Pruning.Schedule is null ? null
            : MaskDraw.Draw(Model, Masks, Pruning.Schedule, Pruning.Scope, Pruning.Criterion, Training.Seed, round, epoch, drawing => Context(data, round, epoch, drawing));

    private PruningEvent Prune(PruningAmount amount, DataSplit data, int round, int epoch)
    {
        var masks = Masks ?? throw new InvalidOperationException("A dense run has no masks to prune.");
        var pruning = Pruner.Prune(Context(data, round, epoch, random), amount, Pruning.Scope, Pruning.Criterion);
        masks.ApplyToOptimizerState(trainer.Optimizer);
        foreach (var hook in Hooks)
        {
            hook.AfterPruning(round, epoch, pruning);
        }

        return pruning;
    }

    /// <summary>What a criterion scores with at a pruning event (or a drawn mask's) of <paramref name="round"/> after <paramref name="epoch"/>.</summary>
    private PruningContext Context(DataSplit data, int round, int epoch, Generator numbers) =>
        new(Masks ?? throw new InvalidOperationException("A dense run has no masks to prune."), numbers)
        {
            Loss = Training.Loss,
            Data = new ScoringBatches(data.Train, Training.Seed, round, epoch, trainer.Device),
            ScoringBatchSize = Pruning.ScoringBatchSize,
            InputShape = data.Train.Inputs.shape.Skip(1).ToArray(),
            Accumulators = accumulators,
        };
}
