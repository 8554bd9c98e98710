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
