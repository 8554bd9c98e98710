using System.Globalization;
using Lottery.Data;
using Lottery.Masks;
using Lottery.Reporting;
using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Experiments;

/// <summary>How one worker takes part in an experiment whose runs many workers share.</summary>
public sealed record WorkerOptions
{
    /// <summary>How runs are claimed: the owner's label and how long a claim lasts without renewal.</summary>
    public ClaimSettings Claims { get; init; } = new();

    /// <summary>
    /// The runs this worker may train, as indices into the experiment's plan (<see cref="ExperimentPlan.Create"/>),
    /// or null for every run. Other runs are read back once finished and waited for while another worker holds them.
    /// </summary>
    public IReadOnlySet<int>? Assigned { get; init; }

    /// <summary>How often a worker with nothing to train looks again for runs other workers have finished or left.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>What one worker did.</summary>
/// <param name="Trained">Runs it trained (resumed ones included).</param>
/// <param name="ReadBack">Runs it found finished.</param>
public sealed record WorkerReport(int Trained, int ReadBack);

/// <summary>
/// Runs an experiment with a run store that any number of workers (threads, processes, machines sharing a file
/// system) share: each run is claimed before it trains (<see cref="RunClaim"/>), so no run is trained twice or
/// written by two workers; a finished run is read back; a run whose worker was killed resumes from its last whole
/// checkpoint in whichever worker claims it next; a run derived from others (a control, a matched arm) waits until
/// they have finished. Runs are kept in <c>&lt;output&gt;/runs/</c>, shared by experiments; the summary, report and charts
/// go to <c>&lt;output&gt;/&lt;name&gt;/</c>.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>Runs (or waits for) every run of <paramref name="experiment"/>, then writes and returns its summary.</summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="output">The results folder.</param>
    /// <param name="progress">Told of every run and epoch, or null.</param>
    /// <param name="options">How this worker claims runs (default: every run, claims of two minutes).</param>
    /// <exception cref="ArgumentException">The experiment is not valid, or its device is not available here.</exception>
    /// <exception cref="DataSetException">The data cannot be read.</exception>
    /// <exception cref="RunStoreException">The results folder cannot be written; nothing finished is lost.</exception>
    public static ExperimentSummary Run(ExperimentDefinition experiment, string output, IExperimentProgress? progress = null, WorkerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        TrainingDevice.Resolve(experiment.Training); // An unavailable GPU fails here, before anything is written.
        UseNumerics(experiment, verify: true);
        var state = new PlanState(experiment, output);
        WorkOn(state, progress, (options ?? new WorkerOptions()) with { Assigned = null });
        return SummarizeFrom(state, output, out _);
    }

    /// <summary>
    /// Trains the runs <paramref name="options"/> assigns to this worker (all by default) that no other worker has
    /// finished, claiming each first, and returns once every one of them has finished (here or elsewhere). Writes no
    /// summary: call <see cref="Summarize"/> when every worker is done.
    /// </summary>
    /// <exception cref="InvalidOperationException">An assigned run needs a run that is not assigned to this worker, has not finished and no worker is training.</exception>
    /// <exception cref="RunStoreException">The results folder cannot be written; nothing finished is lost.</exception>
    public static WorkerReport Work(ExperimentDefinition experiment, string output, IExperimentProgress? progress, WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        ArgumentNullException.ThrowIfNull(options);
        TrainingDevice.Resolve(experiment.Training); // An unavailable GPU fails here, before anything is written.
        UseNumerics(experiment, verify: true);
        return WorkOn(new PlanState(experiment, output), progress, options);
    }

    /// <summary>Puts the experiment's numerics profile in force (when it declares one) and, before training, checks that LibTorch computes with it.</summary>
    private static void UseNumerics(ExperimentDefinition experiment, bool verify)
    {
        if (experiment.Numerics is { } declared)
        {
            Lottery.Native.Numerics.Use(declared);
        }

        if (verify)
        {
            Lottery.Native.Numerics.Verify();
        }
    }

    private static WorkerReport WorkOn(PlanState state, IExperimentProgress? progress, WorkerOptions options)
    {
        options.Claims.Validate();
        if (progress is not null)
        {
            state.Store.SetAside += progress.Warning;
        }

        var experiment = state.Experiment;
        var plan = state.Plan;
        var assigned = options.Assigned ?? Enumerable.Range(0, plan.Count).ToHashSet();
        foreach (var index in assigned.Where(i => i < 0 || i >= plan.Count))
        {
            throw new ArgumentOutOfRangeException(nameof(options), index, $"Run index {index} is not in experiment {experiment.Name}, which has runs 0 to {plan.Count - 1}.");
        }

        progress?.Planned(assigned.Count == plan.Count ? plan : assigned.Order().Select(i => plan[i]).ToList());
        var order = ExperimentStages.Priority(experiment, plan);
        var trained = 0;
        var readBack = 0;
        using var data = new SeedData(experiment);
        while (true)
        {
            var moved = false;
            var heldElsewhere = false;
            foreach (var index in order)
            {
                if (state.Finished(index) || !state.TryResolve(index, out var spec))
                {
                    continue;
                }

                var run = plan[index];
                if (state.TryReadBack(index, spec))
                {
                    // A worker killed between saving the result and recording it leaves its claim: settle it.
                    Guard(state.Store.Folder(spec), () => state.Store.SettleFinished(spec, options.Claims));
                    moved = true;
                    if (assigned.Contains(index))
                    {
                        readBack++;
                        progress?.Finished(run, state.Result(index)!, reused: true);
                    }

                    continue;
                }

                if (!assigned.Contains(index))
                {
                    continue;
                }

                data.Load(); // Data that cannot be read, or does not fit the model, stops here, before a claim is written.
                var claim = Guard(state.Store.Folder(spec), () => state.Store.TryClaim(spec, options.Claims, out _));
                if (claim is null)
                {
                    heldElsewhere = true;
                    continue;
                }

                using (claim)
                {
                    if (state.TryReadBack(index, spec))
                    {
                        // Finished by another worker between our look and our claim (or by one that stopped before recording it).
                        Guard(state.Store.Folder(spec), () => state.Store.SettleFinished(spec, claim));
                        readBack++;
                        progress?.Finished(run, state.Result(index)!, reused: true);
                    }
                    else
                    {
                        progress?.Starting(run);
                        try
                        {
                            var result = Guard(state.Store.Folder(spec), () => Train(experiment, state, spec, data.For(run.Seed), run, claim, progress));
                            state.Add(index, spec, result);
                            trained++;
                            progress?.Finished(run, result, reused: false);
                        }
                        catch (RunClaimLostException lost)
                        {
                            // This worker was stopped too long; the worker that took the run over finishes it.
                            progress?.Warning(lost.Message);
                        }
                    }
                }

                moved = true;
                break; // The runs that waited on this one may have priority now.
            }

            if (assigned.All(state.Finished))
            {
                return new WorkerReport(trained, readBack);
            }

            if (!moved)
            {
                if (!heldElsewhere && !state.AnyHeldElsewhere(options.Claims.StaleAfter))
                {
                    throw new InvalidOperationException(state.WhyBlocked(assigned));
                }

                Thread.Sleep(options.PollInterval);
            }
        }
    }

    /// <summary>
    /// Writes the summary, report and charts of <paramref name="experiment"/> from the runs finished so far (trains
    /// nothing), and returns it; <paramref name="unfinished"/> tells which planned runs are missing from it, and why.
    /// </summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="output">The results folder.</param>
    /// <param name="unfinished">Which planned runs are missing from the summary, and why.</param>
    /// <param name="setAside">Told of every finished run set aside because its files do not match their checksums (it then counts as unfinished).</param>
    /// <exception cref="InvalidOperationException">No run has finished yet.</exception>
    public static ExperimentSummary Summarize(ExperimentDefinition experiment, string output, out UnfinishedRuns unfinished, Action<string>? setAside = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        UseNumerics(experiment, verify: false);
        var state = new PlanState(experiment, output);
        if (setAside is not null)
        {
            state.Store.SetAside += setAside;
        }

        var summary = SummarizeFrom(state, output, out _);
        unfinished = state.Unfinished();
        return summary;
    }

    /// <summary>The planned runs of <paramref name="experiment"/> that have not finished under <paramref name="output"/>; writes nothing.</summary>
    public static UnfinishedRuns Unfinished(ExperimentDefinition experiment, string output)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        UseNumerics(experiment, verify: false);
        var state = new PlanState(experiment, output);
        state.ReadBackFinished();
        return state.Unfinished();
    }

    private static ExperimentSummary SummarizeFrom(PlanState state, string output, out int unfinished)
    {
        var experiment = state.Experiment;
        state.ReadBackFinished();
        var missing = Enumerable.Range(0, state.Plan.Count).Count(i => !state.Finished(i));
        unfinished = missing;
        if (missing == state.Plan.Count && missing > 0)
        {
            throw new InvalidOperationException($"No run of experiment {experiment.Name} has finished under '{state.Store.Root}' yet: run `lottery run {experiment.Name}` (or its sweep's tasks) with the same options first.");
        }

        var folder = Path.Combine(Path.GetFullPath(output), experiment.Name);
        return Guard(folder, () =>
        {
            Directory.CreateDirectory(folder);
            var record = state.Record(missing);
            AtomicFile.WriteJson(Path.Combine(folder, ExperimentRecord.FileName), record);
            var summary = ExperimentSummary.From(record, state.Results, state.Store);
            summary.Write(folder);
            return summary;
        });
    }

    /// <summary>
    /// Loads the experiment's data and checks that it fits the model (<see cref="ModelFit"/>), training nothing: a
    /// process that starts workers calls it first, so that a data problem is one error here rather than one in each worker.
    /// </summary>
    /// <exception cref="DataSetException">The data cannot be read, or does not fit the model.</exception>
    public static void CheckData(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        using var data = experiment.Data.Load();
        ModelFit.Check(experiment.CreateModel, experiment.Data, data);
    }

    /// <summary>The identity of the experiment's model: created once with its masks attached as a run attaches them.</summary>
    public static ModelIdentity DescribeModel(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        using var model = experiment.CreateModel();
        if (model is IPrunableModel declared)
        {
            return ModelIdentity.Of(model, declared.AttachMasks());
        }

        using var masks = MaskSet.Attach(model);
        return ModelIdentity.Of(model, masks);
    }

    private static void Guard(string folder, Action work) => Guard(folder, () =>
    {
        work();
        return true;
    });

    /// <summary>Turns a failed write to the results folder into one error that names the folder and says nothing is lost.</summary>
    private static T Guard<T>(string folder, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception error) when (error is (IOException and not FileNotFoundException) or UnauthorizedAccessException)
        {
            throw new RunStoreException(folder, error);
        }
    }

    private static RunResult Train(ExperimentDefinition experiment, PlanState state, RunSpec spec, DataSplit split, PlannedRun planned, RunClaim claim, IExperimentProgress? progress)
    {
        var store = state.Store;
        var settings = spec.Method.ToSettings();
        if (spec.StartMask is not null)
        {
            settings = settings with { Schedule = new FixedMaskSchedule() };
        }

        var checkpoints = store.Begin(spec, claim);
        if (progress is not null)
        {
            checkpoints.Rejected += progress.Warning;
        }

        var owner = claim.Holder.Owner;
        var resumed = false;
        checkpoints.Resumed += path =>
        {
            resumed = true;
            store.Log(spec.Id, owner, $"resumed from {Path.GetFileName(path)}");
        };

        using var run = new PruningRun(experiment.CreateModel, spec.Training, settings);
        if (spec.StartMask is { } start)
        {
            var masks = store.LoadMasks(start.Run, start.Round);
            using var weights = spec.StartWeights is { } from ? WeightSnapshot.Load(store.WeightsPath(from.Run, from.Epoch)) : null;
            try
            {
                if (start.ShuffleSeed is { } shuffle)
                {
                    MaskShuffle.WithinEachMask(masks, shuffle, run.Masks);
                }

                run.StartFrom(masks, weights);
            }
            finally
            {
                foreach (var mask in masks.Values)
                {
                    mask.Dispose();
                }
            }
        }

        var keepWeights = state.WeightEpochs(planned.Arm);
        if (keepWeights.Count > 0)
        {
            run.Hooks.Add(store.SaveWeightsAfterEpochs(spec.Id, run.Model, keepWeights));
        }

        if (run.Masks is not null)
        {
            run.Hooks.Add(store.SaveArtifactsEachRound(spec.Id, run));
        }

        if (progress is not null)
        {
            run.Hooks.Add(new EpochProgress(progress, planned));
        }

        run.Hooks.Add(new BeganLog(() =>
        {
            if (!resumed)
            {
                // What LibTorch itself reports, so a run's history shows the kernels that computed it in this process.
                store.Log(spec.Id, owner, $"began ({Lottery.Native.Numerics.NameOf(Lottery.Native.Numerics.Profile)} numerics, LibTorch's {Lottery.Native.Numerics.CpuCapability ?? "unknown"} kernels)");
            }
        }));
        try
        {
            var result = run.Execute(split, checkpoints);
            store.Finish(spec.Id, result, claim);
            store.Log(spec.Id, owner, "finished");
            return result;
        }
        catch (IOException error) when (!claim.StillHeld())
        {
            // Another worker took the run over (and has cleared or replaced its files), or the claim was removed from outside.
            throw claim.LostException(error.Message);
        }
    }

    /// <summary>The experiment's plan and what is known of its runs: their identities once resolvable, their results once finished.</summary>
    private sealed class PlanState
    {
        private readonly ExperimentDefinition experiment;
        private readonly ModelIdentity model;
        private readonly DataIdentity data;
        private readonly string numerics;
        private readonly (string Id, RunSpec Spec, RunResult Result)?[] finished;
        private readonly RunSpec?[] resolved;

        public PlanState(ExperimentDefinition experiment, string output)
        {
            this.experiment = experiment;
            Plan = ExperimentPlan.Create(experiment);
            Store = new RunStore(Path.Combine(output, "runs"));
            model = DescribeModel(experiment);
            data = new DataIdentity(experiment.Data.Name, experiment.Data.ContentHash(), experiment.ValidationCount);
            numerics = Lottery.Native.Numerics.Identity;
            finished = new (string, RunSpec, RunResult)?[Plan.Count];
            resolved = new RunSpec?[Plan.Count];
        }

        public ExperimentDefinition Experiment => experiment;

        public IReadOnlyList<PlannedRun> Plan { get; }

        public RunStore Store { get; }

        public Dictionary<string, RunResult> Results => finished.Where(f => f is not null).ToDictionary(f => f!.Value.Id, f => f!.Value.Result);

        public bool Finished(int index) => finished[index] is not null;

        public RunResult? Result(int index) => finished[index]?.Result;

        /// <summary>The epochs after which an arm's runs keep their weights, because a later arm rewinds to them.</summary>
        public IReadOnlyCollection<int> WeightEpochs(ExperimentArm arm) =>
            experiment.Arms.Where(a => a.Source == arm.Name).SelectMany(a => a.SourceWeightEpochs).Distinct().Order().ToList();

        /// <summary>The run's identity, or false while a run it derives from has not finished.</summary>
        public bool TryResolve(int index, out RunSpec spec)
        {
            if (resolved[index] is { } known)
            {
                spec = known;
                return true;
            }

            var run = Plan[index];
            RunRequest request;
            try
            {
                request = run.Arm.Resolve(run.Point, run.Seed, new Outcomes(this, run.Seed));
            }
            catch (PendingException)
            {
                spec = null!;
                return false;
            }

            spec = new RunSpec
            {
                Arm = run.Arm.Name,
                Point = run.Point,
                Model = model,
                Data = data,
                Training = experiment.Training with { Seed = run.Seed, Epochs = run.EpochsPerRound },
                Method = request.Method,
                Numerics = numerics,
                StartMask = request.StartMask,
                StartWeights = request.StartWeights,
            };
            resolved[index] = spec;
            return true;
        }

        /// <summary>
        /// Reads the run back when it has finished. A finished run without the weights a later arm needs counts as
        /// unfinished (with <paramref name="needWeights"/>): it trains again, to the same figures, and keeps them.
        /// </summary>
        public bool TryReadBack(int index, RunSpec spec, bool needWeights = true)
        {
            if (needWeights && !WeightEpochs(Plan[index].Arm).All(epoch => Store.HasWeights(spec.Id, epoch)))
            {
                return false;
            }

            var result = Store.TryLoad(spec);
            if (result is null)
            {
                return false;
            }

            Add(index, spec, result);
            return true;
        }

        public void Add(int index, RunSpec spec, RunResult result) => finished[index] = (spec.Id, spec, result);

        /// <summary>Reads back every run that has finished, in plan order (so a run derived from others resolves once they are read).</summary>
        public void ReadBackFinished()
        {
            for (var index = 0; index < Plan.Count; index++)
            {
                if (!Finished(index) && TryResolve(index, out var spec))
                {
                    TryReadBack(index, spec, needWeights: false);
                }
            }
        }

        /// <summary>The runs not finished so far: those without a result, and those that wait on them.</summary>
        public UnfinishedRuns Unfinished()
        {
            var missing = Enumerable.Range(0, Plan.Count).Where(i => !Finished(i)).ToList();
            return new UnfinishedRuns(
                experiment.Name,
                Plan.Count,
                [.. missing.Where(i => TryResolve(i, out _)).Select(i => Plan[i])],
                [.. missing.Where(i => !TryResolve(i, out _)).Select(i => Plan[i])]);
        }

        /// <summary>Whether another worker holds a claim in force on any unfinished run.</summary>
        public bool AnyHeldElsewhere(TimeSpan staleAfter) =>
            Enumerable.Range(0, Plan.Count).Any(i => !Finished(i) && resolved[i] is { } spec && RunClaim.Current(Store.Folder(spec)) is { } held && held.Age < staleAfter && !held.Holder.KnownGone());

        public string WhyBlocked(IReadOnlySet<int> assigned)
        {
            var waiting = assigned.Where(i => !Finished(i)).Select(i => Plan[i]).ToList();
            var missing = Enumerable.Range(0, Plan.Count).Where(i => !Finished(i) && !assigned.Contains(i)).Select(i => Plan[i].Label).ToList();
            return $"Runs {string.Join(", ", waiting.Take(5).Select(r => r.Label))}{(waiting.Count > 5 ? ", ..." : string.Empty)} need runs that have not finished and that no worker is training: "
                + $"{string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : string.Empty)}. Run those first (an earlier stage of the sweep; see its log), or run `lottery run {experiment.Name}` to train everything that is missing.";
        }

        /// <summary>The record of the runs finished so far, in plan order.</summary>
        public ExperimentRecord Record(int unfinished) => new()
        {
            Name = experiment.Name,
            Model = model,
            Data = data,
            Training = experiment.Training,
            Seeds = experiment.Seeds,
            Numerics = numerics,
            MatchedArm = experiment.Points?.Arm,
            Points = experiment.Points?.Rounds ?? [],
            EquivalenceMargin = experiment.EquivalenceMargin,
            Arms = experiment.Arms.Select(a => new RecordedArm(a.Name, a.GetType().Name, a.Source, a.Describe())).ToList(),
            Runs = Enumerable.Range(0, Plan.Count).Where(Finished).Select(i =>
            {
                var (id, spec, _) = finished[i]!.Value;
                return new RecordedRun(id, Plan[i].Arm.Name, Plan[i].Seed, Plan[i].Point, spec.Method, spec.StartMask is not null);
            }).ToList(),
            Unfinished = unfinished,
        };

        /// <summary>The outcomes of one seed's finished runs, for resolving the runs derived from them.</summary>
        private sealed class Outcomes(PlanState state, long seed) : IArmOutcomes
        {
            public ArmOutcome Matched(int point) =>
                Of(state.experiment.Points?.Arm ?? throw new InvalidOperationException($"Experiment {state.experiment.Name} matches no arm to points."), point);

            public ArmOutcome Of(string arm, int point)
            {
                var source = state.experiment.Arms.FirstOrDefault(a => a.Name == arm)
                    ?? throw new InvalidOperationException($"No arm {arm} in experiment {state.experiment.Name}.");
                var runs = new Dictionary<int, (string Run, RunResult Result)>();
                for (var i = 0; i < state.Plan.Count; i++)
                {
                    var run = state.Plan[i];
                    if (run.Arm == source && run.Seed == seed)
                    {
                        if (state.finished[i] is not { } done)
                        {
                            throw new PendingException();
                        }

                        runs[run.Point] = (done.Id, done.Result);
                    }
                }

                return runs.Count > 0 ? source.Outcome(point, runs) : throw new InvalidOperationException($"Arm {arm} has no runs for seed {seed}.");
            }
        }
    }

    /// <summary>A run this one derives from has not finished.</summary>
    private sealed class PendingException : Exception;

    /// <summary>The training and validation data of one seed at a time: a worker switching seeds splits again.</summary>
    private sealed class SeedData(ExperimentDefinition experiment) : IDisposable
    {
        private TrainTestData? loaded;
        private DataSplit? split;
        private long seed;

        /// <summary>Loads the data once and checks that it fits the model.</summary>
        public TrainTestData Load() => loaded ??= Checked(experiment);

        public DataSplit For(long wanted)
        {
            if (split is null || seed != wanted)
            {
                split?.Dispose();
                split = null;
                split = DataSplit.HoldOutValidation(Load(), experiment.ValidationCount, wanted);
                seed = wanted;
            }

            return split;
        }

        public void Dispose()
        {
            split?.Dispose();
            loaded?.Dispose();
        }

        private static TrainTestData Checked(ExperimentDefinition experiment)
        {
            var data = experiment.Data.Load();
            try
            {
                ModelFit.Check(experiment.CreateModel, experiment.Data, data);
                return data;
            }
            catch
            {
                data.Dispose();
                throw;
            }
        }
    }

    private sealed class EpochProgress(IExperimentProgress progress, PlannedRun run) : ITrainingHooks
    {
        public void AfterEpoch(EpochMetrics metrics) => progress.Epoch(run, metrics);
    }

    private sealed class BeganLog(Action began) : ITrainingHooks
    {
        private bool done;

        public void BeforeRound(int round, double weightsRemaining)
        {
            if (!done)
            {
                done = true;
                began();
            }
        }
    }
}

/// <summary>The planned runs a summary leaves out, and why.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Planned">How many runs it plans.</param>
/// <param name="WithoutResult">Runs that have no result yet.</param>
/// <param name="Waiting">
/// Runs derived from runs without a result (a control of IMP, an arm matched to its points): what they train, and so
/// which saved run is theirs, is known only once those have finished, so they are left out even when they have
/// finished before (their sources' results since deleted or trained again).
/// </param>
public sealed record UnfinishedRuns(string Experiment, int Planned, IReadOnlyList<PlannedRun> WithoutResult, IReadOnlyList<PlannedRun> Waiting)
{
    /// <summary>How many planned runs the summary leaves out.</summary>
    public int Count => WithoutResult.Count + Waiting.Count;

    /// <summary>One line for people: how many runs the tables show, which have no result, and which wait on them; empty when none is missing.</summary>
    public string Describe()
    {
        if (Count == 0)
        {
            return string.Empty;
        }

        var shown = Planned - Count;
        var one = WithoutResult.Count == 1;
        var names = string.Join(", ", WithoutResult.Take(5).Select(r => r.Label)) + (WithoutResult.Count > 5 ? ", ..." : string.Empty);
        var waiting = Waiting.Count == 0
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"; the {Waiting.Count} run{(Waiting.Count == 1 ? string.Empty : "s")} derived from {(one ? "it" : "them")} cannot be matched to a saved result until {(one ? "it has" : "they have")} finished");
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{shown} of {Planned} runs are in the tables. {WithoutResult.Count} {(one ? "has" : "have")} no result yet ({names}){waiting}. `lottery run {Experiment}` with the same options finishes {(Count == 1 ? "it" : "them")}.");
    }
}

/// <summary>A results folder could not be written (full, read-only, gone); the message names the folder and says that nothing finished is lost.</summary>
public sealed class RunStoreException(string folder, Exception inner)
    : IOException($"Cannot write to '{folder}' ({inner.Message.TrimEnd('.')}). Nothing finished is lost: finished runs are kept, and an unfinished run resumes from its last whole checkpoint. Free space or make the folder writable, then run the same command again.", inner)
{
    /// <summary>The folder that could not be written.</summary>
    public string Folder { get; } = folder;
}
