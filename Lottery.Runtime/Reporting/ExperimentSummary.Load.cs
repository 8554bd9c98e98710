using System.Text.Json;
using Lottery.Results;
using Lottery.Runs;

namespace Lottery.Reporting;

/// <summary>Reads a saved experiment's summary back from its record and its runs' results.</summary>
public sealed partial class ExperimentSummary
{
    /// <summary>Reads an experiment's record and its runs' results.</summary>
    /// <param name="folder">The experiment's folder (holding <c>experiment.json</c>).</param>
    /// <param name="runsRoot">The folder of the runs (by default <c>runs/</c> beside the experiment's folder).</param>
    /// <exception cref="FileNotFoundException">The folder holds no experiment.</exception>
    /// <exception cref="InvalidOperationException">A run has not finished; the message says how to finish it.</exception>
    public static ExperimentSummary Load(string folder, string? runsRoot = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var path = Path.Combine(folder, ExperimentRecord.FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{folder}' holds no {ExperimentRecord.FileName}: it is not a finished experiment's folder. Run {HostProgram.Command("run <experiment>")} first (it writes the file when every run has finished), or name a folder under the results folder.", path);
        }

        ExperimentRecord record;
        try
        {
            record = JsonSerializer.Deserialize<ExperimentRecord>(File.ReadAllText(path), AtomicFile.Json) ?? throw new InvalidDataException("it is empty");
        }
        catch (Exception error) when (error is JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"'{path}' cannot be read ({error.Message}).", error);
        }

        var store = new RunStore(runsRoot ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))!, "runs"));
        var results = new Dictionary<string, RunResult>();
        foreach (var run in record.Runs)
        {
            if (store.TryLoad(run.Id, record.Name) is { } result)
            {
                results[run.Id] = result;
            }
        }

        var unfinished = record.Runs.Count(r => !results.ContainsKey(r.Id));
        if (unfinished > 0)
        {
            throw new InvalidOperationException($"{unfinished} of the {record.Runs.Count} runs of experiment '{record.Name}' are missing from {store.Root}. Run {HostProgram.Command($"run {record.Name}")} again: it trains them.");
        }

        return From(record, results, store);
    }
}
