using Lottery.Masks;
using Lottery.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Schedules;

/// <summary>
/// The mask updates of a <see cref="DynamicSparseSchedule"/>, as a training hook: at every update batch each masked
/// weight drops its smallest surviving entries and regrows as many pruned ones, so its count of surviving entries never
/// changes. Regrown entries start at exactly zero, with their optimizer state (momentum, Adam's moments) at zero;
/// dropped entries are zeroed with their state cleared as after any pruning event. RigL's gradients are read after the
/// backward pass, before the trainer masks them.
/// </summary>
/// <remarks>
/// The random regrowth of each update draws from a generator seeded by the run's seed, the batch and the weight, so
/// the same seed gives the same masks, and a resumed run the same masks as one never interrupted, with nothing to keep
/// in a checkpoint. Every tensor an update makes lives in the trainer's batch scope; the masks change in place.
/// </remarks>
public sealed class SparseTopology : ITrainingHooks
{
    private readonly MaskSet masks;
    private readonly DynamicSparseSchedule schedule;
    private readonly Func<optim.Optimizer> optimizer;
    private readonly long seed;
    private readonly Dictionary<PrunableWeight, Tensor> gradients = [];
    private long lastBatch = -1;

    /// <summary>Regrowth reads the dense gradients and changes the masks between batches: training stays on the dense path.</summary>
    public bool ReadsWeightsDuringEpoch => true;

    /// <summary>Updates <paramref name="masks"/> as <paramref name="schedule"/> says, clearing state in the trainer's current optimizer.</summary>
    /// <exception cref="ArgumentException">A masked parameter is pruned by units (neurons, channels): regrowth moves single connections.</exception>
    public SparseTopology(MaskSet masks, DynamicSparseSchedule schedule, Func<optim.Optimizer> optimizer, long seed)
    {
        this.masks = masks ?? throw new ArgumentNullException(nameof(masks));
        this.schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        this.optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        this.seed = seed;
        if (masks.Weights.FirstOrDefault(w => w.Structure != Structure.Unstructured) is { } structured)
        {
            throw new ArgumentException($"{structured.Name} is pruned by {structured.Structure}, but DynamicSparse drops and regrows single connections; declare the layer unstructured or use another schedule.", nameof(masks));
        }
    }

    /// <summary>Whether each update reads the dense gradient of the update batch (RigL), which sparse training would not compute.</summary>
    public bool ReadsDenseGradients => schedule.Regrowth == RegrowthKind.Gradient;

    /// <summary>Mask updates made so far in this process (not kept in checkpoints).</summary>
    public int Updates { get; private set; }

    /// <summary>Connections regrown so far in this process (not kept in checkpoints).</summary>
    public long Regrown { get; private set; }

    /// <summary>After each update: the entries each weight dropped and regrew (0/1 tensors, valid until the batch ends).</summary>
    public event Action<IReadOnlyList<(PrunableWeight Weight, Tensor Dropped, Tensor Grown)>>? Updated;

    /// <summary>Sets the training's length: updates stop after <see cref="DynamicSparseSchedule.LastUpdateBatch"/>.</summary>
    public void Start(int epochs, long batchesPerEpoch)
    {
        lastBatch = schedule.LastUpdateBatch(epochs, batchesPerEpoch);
        FinalMaskFrom = schedule.FinalMaskFrom(epochs, batchesPerEpoch);
    }

    /// <summary>The batch of the last update (<see cref="DynamicSparseSchedule.FinalMaskFrom"/>); 0 before <see cref="Start"/>.</summary>
    public long FinalMaskFrom { get; private set; }

    /// <summary>
    /// Drops the <paramref name="count"/> surviving entries of <paramref name="weight"/> with the smallest magnitude and
    /// regrows the <paramref name="count"/> entries pruned before the drop with the largest <paramref name="growScores"/>
    /// (fewer when there are fewer of either), changing <paramref name="mask"/> in place. Entries just dropped are not
    /// regrown. Returns the dropped and regrown entries as boolean tensors of the weight's shape.
    /// </summary>
    public static (Tensor Dropped, Tensor Grown) DropAndGrow(Tensor weight, Tensor mask, Tensor growScores, long count)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(growScores);
        using var noGrad = no_grad();
        var active = mask.ne(0).flatten();
        var activeCount = active.sum().item<long>();
        var k = Math.Min(count, Math.Min(activeCount, active.numel() - activeCount));
        var dropped = zeros_like(active);
        var grown = zeros_like(active);
        if (k > 0)
        {
            var dropScores = weight.detach().abs().flatten().masked_fill(active.logical_not(), double.PositiveInfinity);
            dropped.index_fill_(0, dropScores.topk((int)k, largest: false).indexes, true);
            var candidates = growScores.detach().flatten().to(float64).masked_fill(active, double.NegativeInfinity);
            grown.index_fill_(0, candidates.topk((int)k, largest: true).indexes, true);
            var flat = mask.view(-1);
            flat.masked_fill_(dropped, 0).masked_fill_(grown, 1);
        }

        return (dropped.view_as(mask), grown.view_as(mask));
    }

    /// <inheritdoc/>
    public void AfterBackward(BatchProgress progress)
    {
        if (schedule.Regrowth != RegrowthKind.Gradient || FractionAt(progress) == 0)
        {
            return;
        }

        // Kept only until this batch's update, in the trainer's batch scope.
        foreach (var weight in masks.Weights)
        {
            if (weight.Parameter.grad is { } grad)
            {
                gradients[weight] = grad.detach().abs();
            }
        }
    }

    /// <inheritdoc/>
    public void AfterBatch(BatchProgress progress)
    {
        var fraction = FractionAt(progress);
        if (fraction == 0)
        {
            return;
        }

        using var noGrad = no_grad();
        var changes = new List<(PrunableWeight Weight, Tensor Dropped, Tensor Grown)>();
        for (var i = 0; i < masks.Weights.Count; i++)
        {
            var weight = masks.Weights[i];
            var count = (long)Math.Floor(fraction * weight.Remaining);
            if (count == 0)
            {
                continue;
            }

            Tensor scores;
            if (schedule.Regrowth == RegrowthKind.Gradient)
            {
                scores = gradients.TryGetValue(weight, out var gradient) ? gradient
                    : throw new InvalidOperationException($"{weight.Name} has no gradient at batch {progress.Iteration}; RigL regrows by the gradient of the batch it updates at.");
            }
            else
            {
                using var random = new Generator(unchecked(((ulong)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)progress.Iteration * 0xBF58476D1CE4E5B9UL) ^ (ulong)(i + 1)));
                // Drawn where the generator is (the CPU) and then moved: the same scores on every device.
                using var drawn = rand(weight.Mask.shape, generator: random, dtype: float64, device: random.device);
                scores = drawn.to(weight.Mask.device);
            }

            var (dropped, grown) = DropAndGrow(weight.Parameter, weight.Mask, scores, count);
            weight.Parameter.masked_fill_(dropped.logical_or(grown), 0);
            weight.RefreshRemaining();
            changes.Add((weight, dropped, grown));
            Regrown += grown.sum().item<long>();
        }

        gradients.Clear();
        if (changes.Count == 0)
        {
            return;
        }

        // Dropped entries: state cleared as after a pruning event. Regrown ones: every state tensor at zero, as new.
        var current = optimizer();
        masks.ApplyToOptimizerState(current);
        OptimizerStateMasking.Reset(current, changes.Select(c => (c.Weight, c.Grown)).ToList());
        Updates++;
        Updated?.Invoke(changes);
    }

    private double FractionAt(BatchProgress progress) =>
        lastBatch < 0 ? throw new InvalidOperationException("SparseTopology.Start was not called: the training's length decides when updates stop.")
            : schedule.FractionAt(progress.Iteration, lastBatch);
}
