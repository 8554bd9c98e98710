using System.Diagnostics;
using TorchSharp;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Masks;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Runs;

/// <summary>
/// One seeded training run under a pruning schedule: creates the model, attaches masks, trains round after
/// round, prunes when the schedule says, rewinds as the settings say, and measures everything.
/// </summary>
/// <remarks>
/// Before each round's first epoch the schedule may prune (pruning at initialisation); no rewind follows, since the
/// weights are still the round's starting weights. Order of things after each epoch: evaluate, then call the schedule;
/// after a pruning event, the optimizer's state at newly pruned entries is zeroed and the rewind is applied (not after
/// the run's last epoch, since no training follows). After each round the schedule may prune again; the next round then starts from the
/// rewound weights. Weight rewinding restores the snapshot, reapplies the masks and starts a fresh optimizer
/// with the learning-rate schedule set back to the snapshot's epoch; learning-rate rewinding restarts the
/// learning-rate schedule and keeps the weights.
/// On a GPU (<see cref="TrainingSettings.Device"/>) the model is moved there right after it is created, before its masks,
/// snapshots and optimizer exist (moving a TorchSharp module replaces its parameter objects), so all of them live there;
/// see <see cref="TrainingDevice"/> for what stays on the CPU.
/// </remarks>
public sealed class PruningRun : IDisposable
{
    // TorchSharp's default generator is process-wide: seeding and creating a model must not interleave
    // with another run doing the same on another thread.
    private static readonly Lock SeedGate = new();
    private readonly Trainer trainer;
    private readonly Generator random;
    private readonly Rewinding rewinding;
    private readonly RunCheckpoint checkpoint;
    private readonly Dictionary<IPruningCriterion, ICriterionAccumulator> accumulators = new(ReferenceEqualityComparer.Instance);
    private bool executed;

    /// <summary>Seeds TorchSharp with the training seed, then creates the model on the training device and its masks.</summary>
    /// <exception cref="ArgumentException">
    /// The training device is not available here (<see cref="TrainingDevice.Resolve"/>; nothing is created), or the
    /// schedule prunes before training with a criterion that needs training (<see cref="CriterionNeeds.Training"/>).
    /// </exception>
    public PruningRun(Func<nn.Module<Tensor, Tensor>> createModel, TrainingSettings training, PruningSettings pruning)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        Training = (training ?? throw new ArgumentNullException(nameof(training))).Validate();
        var device = TrainingDevice.Resolve(Training);
        Pruning = pruning ?? throw new ArgumentNullException(nameof(pruning));
        if (pruning.Rewind.Kind == RewindKind.ToEpoch && pruning.Rewind.Epoch > training.Epochs)
        {
            throw new ArgumentOutOfRangeException(nameof(pruning), pruning.Rewind.Epoch, $"Rewind.ToEpoch({pruning.Rewind.Epoch}) is after the last epoch ({training.Epochs}); rewind to an epoch the run trains.");
        }

        lock (SeedGate)
        {
            manual_seed(pruning.InitSeed ?? training.Seed);
            Model = createModel();
        }

        // Created on the CPU, so the same seed gives the same initial weights on every device; moved before anything
        // holds its parameters, since moving replaces them.
        if (device.type != DeviceType.CPU)
        {
            Model.to(device);
        }

        Masks = pruning.Schedule is null ? null
            : pruning.Masks is not null ? MaskSet.Attach(Model, pruning.Masks)
            : Model is IPrunableModel declared ? declared.AttachMasks()
            : MaskSet.Attach(Model);
        Masks?.Override(pruning.LayerOverrides);
        var criteria = Masks is null ? [] : Masks.Weights.Select(w => w.Criterion ?? pruning.Criterion).Distinct().ToList();
        if (pruning.Schedule is AtInitSchedule or DynamicSparseSchedule && criteria.FirstOrDefault(c => c.Needs.HasFlag(CriterionNeeds.Training)) is { } untrained)
        {
            Masks?.Dispose();
            Model.Dispose();
            throw new ArgumentException($"The {untrained.Name} criterion needs training before it can score, but the {pruning.Schedule!.Name} schedule prunes before any; use Snip, SynFlow, Magnitude or Random, or prune after training.", nameof(pruning));
        }

        rewinding = new Rewinding(Model, pruning.Rewind);
        trainer = new Trainer(Model, training, Masks);
        foreach (var criterion in criteria.OfType<IContextCriterion>())
        {
            if (criterion.CreateAccumulator(Masks!) is { } accumulator)
            {
                accumulators[criterion] = accumulator;
                trainer.Hooks.Add(accumulator);
            }
        }

        if (pruning.Schedule is DynamicSparseSchedule dynamic)
        {
            try
            {
                Topology = new SparseTopology(Masks!, dynamic, () => trainer.Optimizer, training.Seed);
            }
            catch (ArgumentException)
            {
                trainer.Dispose();
                Masks?.Dispose();
                Model.Dispose();
                throw;
            }

            trainer.Hooks.Add(Topology);
        }

        random = new Generator(unchecked((ulong)training.Seed * 0x9E3779B97F4A7C15UL) + 1);
        checkpoint = new RunCheckpoint(Model, Masks, rewinding, trainer, random, accumulators);
    }

    /// <summary>The optimizer training uses now (a fresh one after every rewind).</summary>
    public optim.Optimizer Optimizer => trainer.Optimizer;

    /// <summary>A DynamicSparse schedule's mask updates (a hook the run installs), or null.</summary>
    public SparseTopology? Topology { get; }

    /// <summary>The model being trained (owned by the run).</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The masks, or null for a dense run.</summary>
    public MaskSet? Masks { get; }

    /// <summary>How the model is trained.</summary>
    public TrainingSettings Training { get; }

    /// <summary>How it is pruned.</summary>
    public PruningSettings Pruning { get; }

    /// <summary>
    /// Hooks called after each batch, epoch, pruning event and round. It starts with the accumulators of the criteria
    /// that gather scores during training (Movement's), which the run installs and keeps in its checkpoints.
    /// </summary>
    public List<ITrainingHooks> Hooks => trainer.Hooks;

    /// <summary>Fraction of prunable weights remaining now.</summary>
    public double WeightsRemaining => Masks?.WeightsRemaining ?? 1.0;

    /// <summary>
    /// Starts training from the given masks (a ticket's mask, as in the random re-initialisation control), and from
    /// <paramref name="weights"/> when given (another run's weights after an epoch) instead of the run's own
    /// initialisation: loads them, zeroes the pruned weights and makes the masked weights the run's initial state.
    /// Call it before <see cref="Execute"/>.
    /// </summary>
    public void StartFrom(IReadOnlyDictionary<string, Tensor> masks, WeightSnapshot? weights = null)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var own = Masks ?? throw new InvalidOperationException("A dense run has no masks to start from; give it a schedule (FixedMaskSchedule trains a mask as it is).");
        if (executed)
        {
            throw new InvalidOperationException("StartFrom must be called before Execute.");
        }

        weights?.RestoreInto(Model);
        own.LoadMasks(masks);
        rewinding.ResetInitial(Model);
    }

    /// <summary>
    /// Runs every round the schedule asks for and returns the measurements. With <paramref name="checkpoints"/>,
    /// the run's whole state is saved there after every epoch and at every round's end, and a run that finds a
    /// checkpoint there resumes from it and ends with the same figures as a run never interrupted (training
    /// seconds aside). The checkpoints are deleted once the run has finished (unless <see cref="CheckpointStore.ClearWhenFinished"/> is false).
    /// </summary>
    public RunResult Execute(DataSplit data, CheckpointStore? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (executed)
        {
            throw new InvalidOperationException("This run has already been executed; its model is trained and pruned. Create a new PruningRun to run again.");
        }

        executed = true;
        var schedule = Pruning.Schedule;
        var epochs = Training.Epochs;
        var costs = ProbeCosts(data);
        Topology?.Start(epochs, (data.Train.Count + Training.BatchSize - 1) / Training.BatchSize);
        var state = (checkpoints is null ? null : checkpoint.Resume(checkpoints)) ?? new RunState();
        while (true)
        {
            var round = state.Round;
            if (state.Epoch == 0)
            {
                trainer.BeginRound();
                if (schedule?.BeforeRound(new PruningProgress(round, 0, epochs, WeightsRemaining)) is { } beforeTraining)
                {
                    // Counted with the round it starts, like the pruning after the previous round.
                    state.PendingEvents.Add(Prune(beforeTraining, data, round, 0));
                }

                foreach (var hook in Hooks)
                {
                    hook.BeforeRound(round, WeightsRemaining);
                }

                state.Metrics = [];
                state.Events = state.PendingEvents;
                state.PendingEvents = [];
                state.TrainingSeconds = 0;
                state.PrunedAfterLastEvaluation = false;
                state.DrawnMask = Draw(data, round, 0)?.Save();
                state.EarlyBirdEpoch = null;
            }

            for (var epoch = state.Epoch + 1; epoch <= epochs; epoch++)
            {
                var learningRate = trainer.CurrentLearningRate;
                var weightsRemaining = WeightsRemaining;
                var multiplyAdds = costs?.Training(data.Train.Count);
                var updatesBefore = Topology?.Updates ?? 0;
                var clock = Stopwatch.StartNew();
                var trainLoss = trainer.TrainEpoch(data.Train, round, epoch);
                var seconds = clock.Elapsed.TotalSeconds;
                if (Topology is { ReadsDenseGradients: true } topology && costs?.DenseWeightGradients(Math.Min(Training.BatchSize, data.Train.Count)) is { } perUpdate)
                {
                    multiplyAdds += (topology.Updates - updatesBefore) * perUpdate; // RigL's dense gradient at each update batch.
                }
                state.TrainingSeconds += seconds;
                var drawn = Draw(data, round, epoch);
                var previousDraw = drawn is not null && state.DrawnMask is { } previous ? Measures.MaskBits.Load(previous) : null;
                var distance = previousDraw is null ? (double?)null : drawn!.Distance(previousDraw);
                var overlap = previousDraw is null ? (double?)null : drawn!.Jaccard(previousDraw);
                state.DrawnMask = drawn?.Save();
                var epochMetrics = new EpochMetrics
                {
                    Round = round,
                    Epoch = epoch,
                    Iteration = trainer.Iteration,
                    TrainLoss = trainLoss,
                    Validation = trainer.Evaluate(data.Validation),
                    Test = Training.EvaluateTestEveryEpoch ? trainer.Evaluate(data.Test) : Evaluation.None,
                    WeightsRemaining = weightsRemaining,
                    LearningRate = learningRate,
                    TrainingSeconds = seconds,
                    TrainingMultiplyAdds = multiplyAdds,
                    MaskDistance = distance,
                    DrawnMaskOverlap = overlap,
                };
                state.Metrics.Add(epochMetrics);
                foreach (var hook in Hooks)
                {
                    hook.AfterEpoch(epochMetrics);
                }

                rewinding.AfterEpoch(Model, round, epoch);

                state.PrunedAfterLastEvaluation = false;
                if (EarlyBirdAmount(state) is { } early)
                {
                    // Early-Bird: the drawn masks have stopped changing; prune to the target now, and the schedule no more.
                    state.EarlyBirdEpoch = epoch;
                    if (WeightsRemaining > early.TargetRemaining + 1e-12)
                    {
                        state.Events.Add(Prune(early, data, round, epoch));
                        state.PrunedAfterLastEvaluation = true;
                        if (epoch < epochs)
                        {
                            rewinding.Apply(Model, Masks!, trainer, round, epoch);
                        }
                    }
                }
                else if (state.EarlyBirdEpoch is null && schedule?.AfterEpoch(new PruningProgress(round, epoch, epochs, WeightsRemaining)) is { } amount)
                {
                    state.Events.Add(Prune(amount, data, round, epoch));
                    state.PrunedAfterLastEvaluation = true;
                    if (epoch < epochs)
                    {
                        rewinding.Apply(Model, Masks!, trainer, round, epoch);
                    }
                }

                state.Epoch = epoch;
                if (checkpoints is not null)
                {
                    checkpoint.Save(checkpoints, state);
                }
            }

            var result = Summarize(round, state.Metrics, state.Events, state.TrainingSeconds, data, state.PrunedAfterLastEvaluation) with
            {
                InferenceMultiplyAdds = costs?.Forward(),
                EarlyBirdEpoch = state.EarlyBirdEpoch,
            };
            state.Rounds.Add(result);
            foreach (var hook in Hooks)
            {
                hook.AfterRound(result);
            }

            if (schedule?.AfterRound(new PruningProgress(round, epochs, epochs, WeightsRemaining)) is not { } afterRound)
            {
                if (checkpoints is { ClearWhenFinished: true })
                {
                    checkpoints.Clear();
                }

                return new RunResult(state.Rounds);
            }

            state.PendingEvents.Add(Prune(afterRound, data, round, epochs));
            rewinding.Apply(Model, Masks!, trainer, round, epochs);
            state.Round = round + 1;
            state.Epoch = 0;
            if (checkpoints is not null)
            {
                checkpoint.Save(checkpoints, state);
            }
        }
    }

    /// <summary>
    /// Saves the ticket: the current masks together with the weights training starts from (the rewind point:
    /// initialisation, or epoch k for late rewinding), in Lottery's sparse file (<see cref="Ticket"/>), so that
    /// <c>LoadTicket</c> on a fresh model restores it. The run's model is left as it was.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run is dense: it has no masks.</exception>
    public void SaveTicket(string path)
    {
        var masks = Masks ?? throw new InvalidOperationException("A dense run has no ticket: it has no masks.");
        var start = rewinding.TicketStart;
        using var current = WeightSnapshot.Take(Model);
        try
        {
            start.RestoreInto(Model);
            Ticket.Save(Model, masks, path);
        }
        finally
        {
            current.RestoreInto(Model);
        }
    }

    /// <summary>
    /// Saves the pruned model: the current masks with the weights as trained so far, in Lottery's sparse file
    /// (<see cref="PrunedModel"/>); <c>LoadPrunedModel</c> on a fresh model restores it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run is dense: it has no masks.</exception>
    public void SavePrunedModel(string path) =>
        PrunedModel.Save(Model, Masks ?? throw new InvalidOperationException("A dense run has no pruned model: it has no masks. Save the model with Model.save."), path);

    /// <inheritdoc/>
    public void Dispose()
    {
        rewinding.Dispose();
        trainer.Dispose();
        checkpoint.Dispose();
        foreach (var accumulator in accumulators.Values)
        {
            accumulator.Dispose();
        }

        random.Dispose();
        Masks?.Dispose();
        Model.Dispose();
    }

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

    /// <summary>The model's multiply-add counts, probed with the first training example (none without training data).</summary>
    private Measures.MultiplyAdds? ProbeCosts(DataSplit data)
    {
        if (data.Train.Count == 0)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        var example = data.Train.Inputs.narrow(0, 0, 1).to(TrainingDevice.Of(Model));
        return Measures.MultiplyAdds.Probe(Model, example);
    }

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

    private RoundResult Summarize(int round, List<EpochMetrics> metrics, List<PruningEvent> events, double trainingSeconds, DataSplit data, bool prunedAfterLastEvaluation)
    {
        // The last epoch's evaluation already describes the final model, unless a pruning event changed it since.
        var last = metrics[^1];
        var reuse = !prunedAfterLastEvaluation && Training.EvaluateTestEveryEpoch;
        var hasValidation = data.Validation.Count > 0;
        // Only epochs that trained the final mask: before a one-run schedule's last event the model had more weights.
        var weightsRemaining = WeightsRemaining;
        var finalMaskFrom = Topology?.FinalMaskFrom ?? 0; // A dynamic sparse mask is final only after its last update.
        var atFinalMask = RoundResult.AtFinalMask(metrics, weightsRemaining, finalMaskFrom);
        IReadOnlyList<EpochMetrics> candidates = hasValidation && atFinalMask.Count > 0 ? atFinalMask : [metrics[^1]];
        var bestAccuracy = candidates.MaxBy(m => m.Validation.Accuracy)!;
        var finalTest = reuse ? last.Test : trainer.Evaluate(data.Test);
        var finalValidation = reuse ? last.Validation : trainer.Evaluate(data.Validation);
        // Its loss, iteration and test accuracy: one epoch, or with none at the final mask the model the round ends with.
        var earlyStop = RoundResult.EarlyStopEpoch(metrics, weightsRemaining, finalMaskFrom);
        return new RoundResult
        {
            Round = round,
            WeightsRemaining = WeightsRemaining,
            Epochs = metrics,
            FinalTest = finalTest,
            FinalValidation = finalValidation,
            BestValidationAccuracy = bestAccuracy.Validation.Accuracy,
            BestValidationAccuracyIteration = bestAccuracy.Iteration,
            BestValidationLoss = earlyStop?.Validation.Loss ?? finalValidation.Loss,
            BestValidationLossIteration = (earlyStop ?? last).Iteration,
            TestAccuracyAtBestValidation = earlyStop?.Test.Accuracy ?? finalTest.Accuracy,
            PruningEvents = events,
            TrainingSeconds = trainingSeconds,
        };
    }
}

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
