using System.Diagnostics;
using TorchSharp;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Groups;
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
public sealed partial class PruningRun : IDisposable
{
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

        if (pruning.DependencyGroups is { } given)
        {
            Masks?.UseGroups(given, roundTo: pruning.RoundTo);
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

    /// <summary>The masked layers the last epoch trained on the sparse path (<see cref="TrainingSettings.SparseTraining"/>); empty when it trained dense.</summary>
    public IReadOnlyList<string> SparseLayers => trainer.SparseLayers;

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
        if (Pruning.Groups && Masks is { Groups: null } masks)
        {
            // Traced once, on the first training example, before any training and before a checkpoint is resumed (whose
            // files carry the coupled masks); the trace runs in eval mode and draws no random numbers.
            using var example = data.Train.Inputs.narrow(0, 0, 1).to(Model.parameters().First().device);
            masks.UseGroups(DependencyGroups.Of(Model, example), roundTo: Pruning.RoundTo);
        }

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
}
