using Lottery.Masks;
using Lottery.Schedules;

namespace Lottery;

/// <summary>
/// Declares how a <c>partial</c> TorchSharp model with <see cref="PrunableAttribute"/> layers is pruned. A model
/// may declare several schedules with different <see cref="Name"/>s; the first is its default. The source
/// generator checks every value at compile time and emits each schedule as ready-made pruning settings.
/// </summary>
/// <remarks>
/// What each kind uses (anything else given is reported as not applying):
/// <list type="bullet">
/// <item><see cref="ScheduleKind.Iterative"/>: <see cref="Rate"/>, <see cref="Rounds"/> and/or <see cref="TargetRemaining"/>.
/// Rewinds to initialisation unless told otherwise.</item>
/// <item><see cref="ScheduleKind.EveryEpoch"/>: <see cref="Rate"/>, <see cref="TargetRemaining"/> (required),
/// <see cref="StartEpoch"/>, <see cref="EndEpoch"/>. Does not rewind unless told.</item>
/// <item><see cref="ScheduleKind.Gradual"/>: <see cref="TargetRemaining"/>, <see cref="StartEpoch"/> and
/// <see cref="EndEpoch"/> (all required), <see cref="InitialSparsity"/>. Does not rewind unless told.</item>
/// <item><see cref="ScheduleKind.OneShot"/>: <see cref="TargetRemaining"/> (required) and <see cref="StartEpoch"/>
/// (prune after that epoch; when not given, after a full training, followed by a second one).</item>
/// <item><see cref="ScheduleKind.AtInit"/>: <see cref="TargetRemaining"/> (required); prunes once before training, so
/// it takes no epochs and no rewinding, and no criterion that needs training (LeastChange, MagnitudeIncrease, Movement).</item>
/// <item><see cref="ScheduleKind.DynamicSparse"/>: <see cref="TargetRemaining"/> (required, the density kept),
/// <see cref="Regrowth"/>, <see cref="DropFraction"/>, <see cref="UpdateEvery"/>, <see cref="EndEpoch"/> (the last epoch
/// with mask updates; default: three quarters of the training). Prunes before training like AtInit, by
/// <see cref="CriterionKind.Random"/> unless a criterion is given; never rewinds.</item>
/// </list>
/// <see cref="ScoringBatchSize"/> applies when a criterion scores on data (Snip), the schedule's or a layer's.
/// <see cref="Rewind"/> = <see cref="RewindKind.ToEpoch"/> needs <see cref="RewindEpoch"/>, with any kind.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PruneScheduleAttribute : Attribute
{
    /// <summary>Declares a schedule of the given kind.</summary>
    public PruneScheduleAttribute(ScheduleKind kind) => Kind = kind;

    /// <summary>When and how much the model is pruned.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>The schedule's name, a C# identifier (default: the kind's name); experiments refer to it.</summary>
    public string? Name { get; set; }

    /// <summary>Fraction of the remaining weights removed at each pruning event, in (0, 1); default 0.2.</summary>
    public double Rate { get; set; } = 0.2;

    /// <summary>Fraction of the prunable weights to leave, in (0, 1].</summary>
    public double TargetRemaining { get; set; } = double.NaN;

    /// <summary>The first epoch after which the model is pruned (epochs count from 1).</summary>
    public int StartEpoch { get; set; }

    /// <summary>The last epoch after which the model may be pruned.</summary>
    public int EndEpoch { get; set; }

    /// <summary>
    /// In an experiment: the epochs this schedule's runs train (each round, for Iterative), instead of the experiment's
    /// <c>Epochs</c>; 0 (not given): the experiment's. Lets one-run schedules at slow rates train long enough to reach
    /// deep points while IMP's rounds keep their length. Its controls train as long as it does.
    /// </summary>
    public int Epochs { get; set; }

    /// <summary>Iterative only: pruning rounds after the dense round (at least 1).</summary>
    public int Rounds { get; set; }

    /// <summary>Gradual only: the sparsity at the start epoch, in [0, 1 - target).</summary>
    public double InitialSparsity { get; set; }

    /// <summary>
    /// EveryEpoch, Gradual and OneShot after an epoch: Early-Bird's stop (You et al. 2020). Once the distance between
    /// consecutive epochs' drawn masks stays below this fraction of the prunable entries for
    /// <see cref="EarlyBirdEpochs"/> epochs in a row, the model is pruned straight to the target and the schedule
    /// prunes no more. The paper's value is 0.1; 0 (not given) means no stop.
    /// </summary>
    public double EarlyBirdDistance { get; set; }

    /// <summary>With <see cref="EarlyBirdDistance"/>: the epochs in a row the distance must stay below it (default 5, as in the paper).</summary>
    public int EarlyBirdEpochs { get; set; }

    /// <summary>DynamicSparse only: how pruned connections regrow, at Random (SET, the default) or by Gradient (RigL).</summary>
    public RegrowthKind Regrowth { get; set; }

    /// <summary>DynamicSparse only: the fraction of each layer's surviving weights the first mask update drops, in (0, 1); default 0.3 (SET's and RigL's). It decays to 0 along a cosine.</summary>
    public double DropFraction { get; set; } = 0.3;

    /// <summary>DynamicSparse only: training batches between mask updates, at least 1; default 100 (RigL's).</summary>
    public int UpdateEvery { get; set; } = 100;

    /// <summary>Layerwise (each layer loses its own rate) or Global (one threshold over the layers).</summary>
    public PruningScope Scope { get; set; }

    /// <summary>Which weights go (default Magnitude); a layer's own criterion overrides it.</summary>
    public CriterionKind Criterion { get; set; }

    /// <summary>
    /// A criterion of your own instead of <see cref="Criterion"/>: the name it is registered under with
    /// <see cref="Criteria.PruningCriteria.Register"/> before the experiment runs. Its settings are part of every run's
    /// identity. Not with <see cref="Criterion"/> (LTH0034).
    /// </summary>
    public string? CriterionName { get; set; }

    /// <summary>
    /// For a criterion that scores on data (Snip): the number of training examples in the batch it scores on, at least 1;
    /// default 100 (SNIP's batch on MNIST).
    /// </summary>
    public int ScoringBatchSize { get; set; } = 100;

    /// <summary>
    /// Prune by dependency groups: the masked layers lose whole units (channels, neurons), each with every slice that
    /// depends on it (batch-norm entries, the next layers' input columns, the same channel of every branch of a residual
    /// add), and each group keeps at least one unit. The run traces the groups on its first training example. Layers in no
    /// group (the output layer) are pruned by their own structure. Not with DynamicSparse (LTH0012).
    /// </summary>
    public bool Groups { get; set; }

    /// <summary>
    /// With <see cref="Groups"/> and Layerwise scope: each group keeps a multiple of this many units after each event (its
    /// kept units rounded down, as Torch-Pruning's <c>round_to</c>; a group with fewer units is not rounded), so that the
    /// compacted layers suit vectorized kernels (8 for AVX2's blocked convolutions). 0, the default: no rounding. Anywhere
    /// else, or below 0, LTH0012.
    /// </summary>
    public int RoundTo { get; set; }

    /// <summary>What happens to the surviving weights after each pruning event.</summary>
    public RewindKind Rewind { get; set; }

    /// <summary>
    /// With <see cref="RewindKind.ToEpoch"/>, and required by it: the epoch whose weights training restarts from
    /// (0 is initialisation). Not defaulted, so that a forgotten epoch is a compile error (LTH0013), not a rewind to init.
    /// </summary>
    public int RewindEpoch { get; set; }
}
