using System.Globalization;

namespace Lottery.Experiments;

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
            $"{shown} of {Planned} runs are in the tables. {WithoutResult.Count} {(one ? "has" : "have")} no result yet ({names}){waiting}. {HostProgram.Command($"run {Experiment}")} with the same options finishes {(Count == 1 ? "it" : "them")}.");
    }
}
