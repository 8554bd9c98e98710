using Lottery.Data;
using Lottery.Masks;
using Lottery.Reporting;
using Lottery.Results;
using Lottery.Training;

namespace Lottery.Experiments;


/// <summary>
/// Runs an experiment with a run store that any number of workers (threads, processes, machines sharing a file
/// system) share: each run is claimed before it trains (<see cref="RunClaim"/>), so no run is trained twice or
/// written by two workers; a finished run is read back; a run whose worker was killed resumes from its last whole
/// checkpoint in whichever worker claims it next; a run derived from others (a control, a matched arm) waits until
/// they have finished. Runs are kept in <c>&lt;output&gt;/runs/</c>, shared by experiments; the summary, report and charts
/// go to <c>&lt;output&gt;/&lt;name&gt;/</c>.
/// </summary>
public static partial class ExperimentRunner
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

    /// <summary>
    /// Puts the numerics profile <paramref name="experiment"/> declares in force (when it declares one) and, with
    /// <paramref name="verify"/>, checks before anything trains that this machine can run it and that LibTorch computes
    /// with it (<see cref="Native.Numerics.Verify"/>). A program that starts worker processes calls it first, so that a
    /// problem is one error there.
    /// </summary>
    /// <exception cref="NotSupportedException">The profile cannot run on this machine.</exception>
    /// <exception cref="InvalidOperationException">LibTorch already computes with another profile.</exception>
    public static void UseNumerics(ExperimentDefinition experiment, bool verify = true)
    {
        ArgumentNullException.ThrowIfNull(experiment);
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
}
