using Lottery.Reporting;
using Lottery.Results;

namespace Lottery.Experiments;


/// <summary>The summary of the runs finished so far, and the runs it leaves out.</summary>
public static partial class ExperimentRunner
{
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
            throw new InvalidOperationException($"No run of experiment {experiment.Name} has finished under '{state.Store.Root}' yet: run {HostProgram.Command($"run {experiment.Name}")} (or its sweep's tasks) with the same options first.");
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
}
