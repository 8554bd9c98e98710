using Lottery.Masks;
using Lottery.Training;

namespace Lottery.Runs;

/// <summary>Where a run's loop stands: what a checkpoint records besides tensors.</summary>
internal sealed class RunState
{
    public int Round { get; set; }

    public int Epoch { get; set; }

    public List<RoundResult> Rounds { get; set; } = [];

    public List<EpochMetrics> Metrics { get; set; } = [];

    public List<PruningEvent> Events { get; set; } = [];

    public List<PruningEvent> PendingEvents { get; set; } = [];

    public double TrainingSeconds { get; set; }

    public bool PrunedAfterLastEvaluation { get; set; }

    /// <summary>The mask drawn after the last epoch (Early-Bird's, <see cref="MaskDraw"/>), as <see cref="Measures.MaskBits.Save"/> text; null before the first or for a dense run.</summary>
    public string? DrawnMask { get; set; }

    /// <summary>The epoch of this round after which Early-Bird's stop pruned to the target; null before it does.</summary>
    public int? EarlyBirdEpoch { get; set; }
}
