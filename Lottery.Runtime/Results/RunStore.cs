using System.Globalization;
using System.Text;
using System.Text.Json;
using Lottery.Runs;
using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Results;

/// <summary>
/// Finished and unfinished runs on disk, one folder per <see cref="RunSpec"/> under <see cref="Root"/>, named
/// by <see cref="RunSpec.Id"/>. A folder holds <c>settings.json</c>, the checkpoints while the run trains,
/// and once it has finished <c>epochs.csv</c> (per-epoch figures), for each round <c>rounds/round-NN.ticket</c>
/// (the round's masks with the weights training started from) and <c>rounds/round-NN.pruned</c> (the round's masks
/// with the weights it trained; the last round's is the run's final pruned model), both Lottery's sparse files, and
/// <c>result.json</c>, written last: a run with a <c>result.json</c> is finished and is read back, never trained again.
/// Just before it, <c>checksums.sha256</c> records the SHA-256 of every file the run is read back from
/// (<see cref="RunChecksums"/>): a finished run is read back only when they all match; a run whose files do not is set
/// aside (its <c>result.json</c> renamed <c>result.json.damaged-&lt;time&gt;</c>) and trained again.
/// </summary>
public sealed class RunStore
{
    /// <summary>Keeps runs under <paramref name="root"/>.</summary>
    public RunStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The file that marks a run finished, written last: a run folder with it is read back, never trained again.</summary>
    public const string ResultFileName = "result.json";

    private const string SettingsFile = "settings.json";

    /// <summary>The folder holding one folder per run.</summary>
    public string Root { get; }

    /// <summary>The folder of a run.</summary>
    public string Folder(RunSpec spec) => Folder(spec.Id);

    /// <summary>The folder of a run, by id.</summary>
    public string Folder(string id) => Path.Combine(Root, id);

    /// <summary>
    /// What is wrong with the files of the finished run in <paramref name="runFolder"/> (one that is missing or does not
    /// match the checksum recorded when the run finished, naming it), or null when all match.
    /// </summary>
    public static string? Verify(string runFolder) => RunChecksums.Problem(runFolder);

    /// <summary>Told of every finished run that was set aside because its files did not match their checksums: one line naming the file and what happens.</summary>
    public event Action<string>? SetAside;

    /// <summary>The result of a finished run, verified against its checksums, or null when it has not finished.</summary>
    /// <param name="id">The run.</param>
    /// <param name="experiment">The experiment it belongs to, for the command the error names (null: a generic one).</param>
    /// <exception cref="InvalidDataException">A file of the run is damaged or missing, or its <c>result.json</c> cannot be read; the message names the file and the command that trains the run again.</exception>
    public RunResult? TryLoad(string id, string? experiment = null)
    {
        if (!File.Exists(ResultPath(id)))
        {
            return null;
        }

        if (RunChecksums.Problem(Folder(id)) is { } problem)
        {
            throw new InvalidDataException($"Run '{id}' cannot be read back: {problem}. Run {HostProgram.Command($"run {experiment ?? "<experiment>"}")} again with the options it ran with: it sets the run aside and trains it again.");
        }

        return ReadResult(id);
    }

    /// <summary>
    /// The result of the run <paramref name="spec"/> names, or null when it has not finished. A folder of that name
    /// whose <c>settings.json</c> holds other settings is never read back as this run's result.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder holds another run's settings, or its result cannot be read.</exception>
    public RunResult? TryLoad(RunSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var id = spec.Id;
        var settings = Path.Combine(Folder(id), SettingsFile);
        if (File.Exists(settings) && File.ReadAllText(settings) != spec.ToJson())
        {
            throw new InvalidDataException($"'{settings}' holds other settings than the run named {id}: the folder was written by other code or changed by hand. Delete '{Folder(id)}' to compute the run again.");
        }

        if (!File.Exists(ResultPath(id)))
        {
            return null;
        }

        if (RunChecksums.Problem(Folder(id)) is { } problem)
        {
            SetAsideDamaged(id, problem);
            return null;
        }

        return ReadResult(id);
    }

    private string ResultPath(string id) => Path.Combine(Folder(id), ResultFileName);

    /// <summary>Reads a finished run's <c>result.json</c>, once its files have been verified.</summary>
    private RunResult ReadResult(string id)
    {
        var path = ResultPath(id);
        try
        {
            return JsonSerializer.Deserialize<RunResult>(File.ReadAllText(path), AtomicFile.Json)
                ?? throw new InvalidDataException("it is empty");
        }
        catch (Exception error) when (error is JsonException or InvalidDataException or NotSupportedException)
        {
            throw new InvalidDataException($"Run result '{path}' cannot be read ({error.Message}). Delete its folder to compute the run again.", error);
        }
    }

    /// <summary>
    /// Makes a finished run whose files do not match their checksums unfinished, keeping its <c>result.json</c> beside as
    /// <c>result.json.damaged-&lt;time&gt;</c>, so that it is trained again (its other files are replaced then); writes
    /// why to its <c>history.log</c> and tells <see cref="SetAside"/>.
    /// </summary>
    private void SetAsideDamaged(string id, string problem)
    {
        var result = ResultPath(id);
        var kept = FormattableString.Invariant($"{result}.damaged-{DateTime.UtcNow:yyyyMMddTHHmmssfff}");
        try
        {
            File.Move(result, kept);
        }
        catch (FileNotFoundException)
        {
            return; // Another worker set it aside first.
        }

        Log(id, "lottery", $"set aside: {problem}; its result is kept as {Path.GetFileName(kept)} and the run is trained again");
        SetAside?.Invoke($"Run {id} was set aside: {problem}. Its result is kept as '{Path.GetFileName(kept)}'; {HostProgram.Command("run")} trains the run again.");
    }

    /// <summary>The masks run <paramref name="id"/> trained round <paramref name="round"/> with, read from its ticket; the caller owns them.</summary>
    /// <exception cref="FileNotFoundException">The run has no ticket for that round.</exception>
    /// <exception cref="InvalidDataException">The ticket is damaged.</exception>
    public Dictionary<string, Tensor> LoadMasks(string id, int round)
    {
        using var ticket = SparseStateFile.Load(TicketPath(id, round));
        var masks = new Dictionary<string, Tensor>(ticket.Masks, StringComparer.Ordinal);
        ticket.Masks.Clear();
        return masks;
    }

    /// <summary>Where run <paramref name="id"/>'s ticket of round <paramref name="round"/> is kept: the round's masks with the weights training started from.</summary>
    public string TicketPath(string id, int round) => Path.Combine(Folder(id), "rounds", $"round-{round:00}.ticket");

    /// <summary>Where run <paramref name="id"/>'s pruned model of round <paramref name="round"/> is kept: the round's masks with the weights it trained.</summary>
    public string PrunedModelPath(string id, int round) => Path.Combine(Folder(id), "rounds", $"round-{round:00}.pruned");

    /// <summary>Where run <paramref name="id"/>'s weights after epoch <paramref name="epoch"/> of its first round are kept, when a control asked for them.</summary>
    public string WeightsPath(string id, int epoch) => Path.Combine(Folder(id), "weights", $"epoch-{epoch:00}.bin");

    /// <summary>Whether run <paramref name="id"/> kept its weights after epoch <paramref name="epoch"/>.</summary>
    public bool HasWeights(string id, int epoch) => File.Exists(WeightsPath(id, epoch));

    /// <summary>A hook that saves the model's weights (masks excluded) after each of <paramref name="epochs"/> of the first round to <see cref="WeightsPath"/>.</summary>
    public ITrainingHooks SaveWeightsAfterEpochs(string id, nn.Module model, IReadOnlyCollection<int> epochs) => new WeightSaver(this, id, model, epochs);

    /// <summary>
    /// Claims the run for this worker (see <see cref="RunClaim"/>), or returns null and who holds it when another
    /// worker's claim is in force. A stale claim taken over is written to the run's <c>history.log</c>.
    /// </summary>
    public RunClaim? TryClaim(RunSpec spec, ClaimSettings settings, out ClaimHolder? heldBy)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var claim = RunClaim.TryAcquire(Folder(spec), settings, out heldBy);
        if (claim?.TookOverFrom is { } stale)
        {
            try
            {
                Log(spec.Id, claim.Holder.Owner, FormattableString.Invariant($"took over the claim of {stale.Owner}, not renewed for {claim.TookOverAge.TotalSeconds:0.0} s"));
            }
            catch
            {
                claim.Dispose();
                throw;
            }
        }

        return claim;
    }

    /// <summary>
    /// Completes the record of a finished run whose worker stopped after saving its <c>result.json</c> and before it
    /// recorded the finish and released its claim: once that claim is stale (or its process gone), takes it over, writes
    /// the missing finish to <c>history.log</c>, deletes leftover checkpoints and releases the claim. Does nothing when
    /// the run has no claim or a live worker's claim is still in force (that worker completes the record itself).
    /// </summary>
    public void SettleFinished(RunSpec spec, ClaimSettings settings)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (RunClaim.Current(Folder(spec)) is null)
        {
            return;
        }

        using var claim = TryClaim(spec, settings, out _);
        if (claim is not null)
        {
            SettleFinished(spec, claim);
        }
    }

    /// <summary>
    /// As <see cref="SettleFinished(RunSpec, ClaimSettings)"/>, with the claim already taken: when it was taken over
    /// from a stopped worker, writes the finish that worker did not record and deletes leftover checkpoints.
    /// </summary>
    public void SettleFinished(RunSpec spec, RunClaim claim)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.TookOverFrom is not { } stopped)
        {
            return;
        }

        if (!History(spec.Id).Any(l => l.EndsWith(": finished", StringComparison.Ordinal)))
        {
            Log(spec.Id, claim.Holder.Owner, $"recorded for {stopped.Owner}, which stopped after saving the result: finished");
        }

        new CheckpointStore(Folder(spec.Id)).Clear();
    }

    /// <summary>
    /// Creates the run's folder with its <c>settings.json</c> and returns the store of its checkpoints. With
    /// <paramref name="claim"/>, every checkpoint is written only while the claim is in force; the checkpoints are
    /// kept until <see cref="Finish"/> has saved the results.
    /// </summary>
    public CheckpointStore Begin(RunSpec spec, RunClaim? claim = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var folder = Folder(spec.Id);
        Directory.CreateDirectory(folder);
        claim?.ThrowIfLost();
        AtomicFile.WriteText(Path.Combine(folder, SettingsFile), spec.ToJson());
        return new CheckpointStore(folder) { BeforeWrite = claim is null ? null : claim.ThrowIfLost, ClearWhenFinished = false };
    }

    /// <summary>Adds a line to run <paramref name="id"/>'s <c>history.log</c>: when, who, and what happened (began, resumed, took over, finished).</summary>
    public void Log(string id, string owner, string what)
    {
        var line = FormattableString.Invariant($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {owner}: {what}\n");
        File.AppendAllText(HistoryPath(id), line);
    }

    /// <summary>Run <paramref name="id"/>'s <c>history.log</c>, a line per event (empty when it has none).</summary>
    public IReadOnlyList<string> History(string id) =>
        File.Exists(HistoryPath(id)) ? File.ReadAllLines(HistoryPath(id)) : [];

    private string HistoryPath(string id) => Path.Combine(Folder(id), "history.log");

    /// <summary>
    /// A hook that saves, at the end of every round, the round's ticket to <see cref="TicketPath"/> (controls train
    /// its masks later) and its pruned model to <see cref="PrunedModelPath"/>.
    /// </summary>
    public ITrainingHooks SaveArtifactsEachRound(string id, PruningRun run) => new ArtifactSaver(this, id, run);

    /// <summary>
    /// Writes a finished run's <c>epochs.csv</c>, the checksums of its files, then its <c>result.json</c>, which marks it finished, then deletes its
    /// checkpoints. With <paramref name="claim"/>, nothing is written unless the claim is still in force.
    /// </summary>
    public void Finish(string id, RunResult result, RunClaim? claim = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        claim?.ThrowIfLost();
        AtomicFile.WriteText(Path.Combine(Folder(id), "epochs.csv"), EpochsCsv(result));
        var json = JsonSerializer.Serialize(result, AtomicFile.Json);
        RunChecksums.Write(Folder(id), ResultFileName, json);
        claim?.ThrowIfLost();
        AtomicFile.WriteText(Path.Combine(Folder(id), ResultFileName), json);
        new CheckpointStore(Folder(id)).Clear();
    }

    /// <summary>Per-epoch figures of every round, one line per epoch.</summary>
    public static string EpochsCsv(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var csv = new StringBuilder("round,epoch,iteration,weights_remaining_pct,train_loss,validation_loss,validation_accuracy,test_loss,test_accuracy,learning_rate,training_seconds,training_multiply_adds,mask_distance,drawn_mask_overlap\n");
        foreach (var m in result.Rounds.SelectMany(r => r.Epochs))
        {
            csv.AppendLine(string.Join(',',
                m.Round.ToString(CultureInfo.InvariantCulture),
                m.Epoch.ToString(CultureInfo.InvariantCulture),
                m.Iteration.ToString(CultureInfo.InvariantCulture),
                (m.WeightsRemaining * 100).ToString("0.####", CultureInfo.InvariantCulture),
                m.TrainLoss.ToString("0.######", CultureInfo.InvariantCulture),
                m.Validation.Loss.ToString("0.######", CultureInfo.InvariantCulture),
                m.Validation.Accuracy.ToString("0.######", CultureInfo.InvariantCulture),
                m.Test.Loss.ToString("0.######", CultureInfo.InvariantCulture),
                m.Test.Accuracy.ToString("0.######", CultureInfo.InvariantCulture),
                m.LearningRate.ToString("G6", CultureInfo.InvariantCulture),
                m.TrainingSeconds.ToString("0.###", CultureInfo.InvariantCulture),
                m.TrainingMultiplyAdds?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                m.MaskDistance?.ToString("0.######", CultureInfo.InvariantCulture) ?? string.Empty,
                m.DrawnMaskOverlap?.ToString("0.######", CultureInfo.InvariantCulture) ?? string.Empty));
        }

        return csv.ToString();
    }

    private sealed class WeightSaver(RunStore store, string id, nn.Module model, IReadOnlyCollection<int> epochs) : ITrainingHooks
    {
        public void AfterEpoch(EpochMetrics metrics)
        {
            if (metrics.Round == 0 && epochs.Contains(metrics.Epoch))
            {
                using var snapshot = WeightSnapshot.Take(model);
                snapshot.Save(store.WeightsPath(id, metrics.Epoch));
            }
        }
    }

    private sealed class ArtifactSaver(RunStore store, string id, PruningRun run) : ITrainingHooks
    {
        public void AfterRound(RoundResult result)
        {
            run.SaveTicket(store.TicketPath(id, result.Round));
            run.SavePrunedModel(store.PrunedModelPath(id, result.Round));
        }
    }
}
