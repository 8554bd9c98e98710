using System.Globalization;
using System.Text;
using System.Text.Json;
using Lottery.Data;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Masks;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Results;

/// <summary>
/// Finished and unfinished runs on disk, one folder per <see cref="RunSpec"/> under <see cref="Root"/>, named
/// by <see cref="RunSpec.Id"/>. A folder holds <c>settings.json</c>, the checkpoints while the run trains,
/// and once it has finished <c>epochs.csv</c> (per-epoch figures), <c>masks/round-NN.bin</c> (the masks each
/// round ended with; the last is the final mask) and <c>result.json</c>, written last: a run with a
/// <c>result.json</c> is finished and is read back, never trained again.
/// </summary>
public sealed class RunStore
{
    /// <summary>Keeps runs under <paramref name="root"/>.</summary>
    public RunStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The folder holding one folder per run.</summary>
    public string Root { get; }

    /// <summary>The folder of a run.</summary>
    public string Folder(RunSpec spec) => Folder(spec.Id);

    /// <summary>The folder of a run, by id.</summary>
    public string Folder(string id) => Path.Combine(Root, id);

    /// <summary>The result of a finished run, or null when it has not finished.</summary>
    /// <exception cref="InvalidDataException">Its <c>result.json</c> cannot be read; the message names the file.</exception>
    public RunResult? TryLoad(string id)
    {
        var path = Path.Combine(Folder(id), "result.json");
        if (!File.Exists(path))
        {
            return null;
        }

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

    /// <summary>The masks run <paramref name="id"/> ended round <paramref name="round"/> with; the caller owns them.</summary>
    public Dictionary<string, Tensor> LoadMasks(string id, int round) => TensorFile.Load(MasksPath(id, round));

    /// <summary>Where run <paramref name="id"/>'s masks after round <paramref name="round"/> are kept.</summary>
    public string MasksPath(string id, int round) => Path.Combine(Folder(id), "masks", $"round-{round:00}.bin");

    /// <summary>
    /// The result of <paramref name="spec"/>: read back when finished; otherwise trained (resuming from the
    /// folder's last whole checkpoint when there is one) and saved.
    /// </summary>
    /// <param name="spec">What to run.</param>
    /// <param name="createModel">Creates the model <see cref="RunSpec.Model"/> names.</param>
    /// <param name="data">The data, split for the spec's seed.</param>
    /// <param name="hooks">Extra hooks (progress), or none.</param>
    /// <param name="warning">Receives problems that do not stop the run (a damaged checkpoint set aside).</param>
    /// <param name="reused">Whether the result was read back rather than computed.</param>
    public RunResult Run(RunSpec spec, Func<nn.Module<Tensor, Tensor>> createModel, DataSplit data, IEnumerable<ITrainingHooks>? hooks, Action<string>? warning, out bool reused)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var id = spec.Id;
        if (TryLoad(id) is { } done)
        {
            reused = true;
            return done;
        }

        reused = false;
        var folder = Folder(id);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteText(Path.Combine(folder, "settings.json"), spec.ToJson());

        using var run = new PruningRun(createModel, spec.Training, Comparison.PruningFor(spec));
        if (spec.MaskFrom is { } source)
        {
            var masks = LoadMasks(source, spec.MaskRound);
            try
            {
                run.StartFrom(masks);
            }
            finally
            {
                foreach (var mask in masks.Values)
                {
                    mask.Dispose();
                }
            }
        }

        if (run.Masks is { } runMasks)
        {
            run.Hooks.Add(new SaveMasksEachRound(this, id, runMasks));
        }

        run.Hooks.AddRange(hooks ?? []);
        var checkpoints = new CheckpointStore(folder);
        if (warning is not null)
        {
            checkpoints.Rejected += warning;
        }

        var result = run.Execute(data, checkpoints);
        AtomicFile.WriteText(Path.Combine(folder, "epochs.csv"), EpochsCsv(result));
        AtomicFile.WriteJson(Path.Combine(folder, "result.json"), result);
        return result;
    }

    /// <summary>Per-epoch figures of every round, one line per epoch.</summary>
    public static string EpochsCsv(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var csv = new StringBuilder("round,epoch,iteration,weights_remaining_pct,train_loss,validation_loss,validation_accuracy,test_loss,test_accuracy,learning_rate,training_seconds\n");
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
                m.TrainingSeconds.ToString("0.###", CultureInfo.InvariantCulture)));
        }

        return csv.ToString();
    }

    private sealed class SaveMasksEachRound(RunStore store, string id, MaskSet masks) : ITrainingHooks
    {
        public void AfterRound(RoundResult result)
        {
            var copy = masks.CopyMasks();
            try
            {
                TensorFile.Save(store.MasksPath(id, result.Round), copy);
            }
            finally
            {
                foreach (var mask in copy.Values)
                {
                    mask.Dispose();
                }
            }
        }
    }
}
