using Lottery.Compaction;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.CommandLine;

/// <summary>
/// Finds a pruned model on disk (a <c>.pruned</c> file, or a run's folder and round); <see cref="SavedModels"/> loads it
/// into a fresh instance of the model class it was saved from.
/// </summary>
internal static class PrunedModels
{
    /// <summary>
    /// The pruned-model file a path names: the file itself, or a run folder's file of <paramref name="round"/> (default:
    /// its last round, once the run has finished); with <paramref name="ticket"/>, the run folder's ticket of that round instead.
    /// </summary>
    public static string Locate(string path, int? round, bool ticket = false)
    {
        if (File.Exists(path))
        {
            return round is null
                ? path
                : throw new ArgumentException($"--round {round} picks a round of a run's folder, but '{path}' is one file. Give the run's folder, or leave out --round.");
        }

        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' is neither a pruned model file nor a run's folder. Give a file saved with SavePrunedModel, or a folder under results/runs/.", path);
        }

        // A finished run's files are used only when they match the checksums recorded when it finished.
        if (File.Exists(Path.Combine(path, Lottery.Results.RunStore.ResultFileName)) && Lottery.Results.RunStore.Verify(path) is { } problem)
        {
            throw new InvalidDataException($"Run '{path}' cannot be used: {problem}. Run the `{HostProgram.Name} run` command that made it again: it sets the run aside and trains it again.");
        }

        var rounds = Path.Combine(path, "rounds");
        var extension = ticket ? ".ticket" : ".pruned";
        var files = Directory.Exists(rounds) ? Directory.GetFiles(rounds, "round-*" + extension).OrderBy(RoundOf).ToList() : [];
        if (files.Count == 0)
        {
            throw new FileNotFoundException($"'{path}' holds no {(ticket ? "ticket" : "pruned model")} (rounds/round-NN{extension}): it is not a finished run of a pruned method (a dense run keeps none, and runs finished before Lottery kept them must be trained again).", rounds);
        }

        if (round is null)
        {
            // An unfinished run's newest round is where it stopped (for IMP, often the dense round 0), not its result.
            return File.Exists(Path.Combine(path, Lottery.Results.RunStore.ResultFileName))
                ? files[^1]
                : throw new InvalidOperationException(
                    $"Run '{path}' has not finished (it has no {Lottery.Results.RunStore.ResultFileName}), so its newest round, {RoundOf(files[^1])}, is not its final model. Finish it by running the same `{HostProgram.Name} run` command again "
                    + $"(it resumes where it stopped), or take that round as it stands with --round {RoundOf(files[^1])}.");
        }

        var chosen = Path.Combine(rounds, $"round-{round:00}{extension}");
        return File.Exists(chosen)
            ? chosen
            : throw new FileNotFoundException($"Run '{path}' has no round {round}; it has rounds {string.Join(", ", files.Select(RoundOf))}.", chosen);
    }

    private static int RoundOf(string file) => int.Parse(Path.GetFileNameWithoutExtension(file)[6..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The model as a chain, or a clear error when its class declares none.</summary>
    public static IChainModel Chain(nn.Module model) => model as IChainModel
        ?? throw new InvalidOperationException($"{model.GetType().Name} declares no [Chain]: compaction needs the order of its layers. Declare it with [Chain(...)] (see docs/smaller-and-faster.md).");
}
