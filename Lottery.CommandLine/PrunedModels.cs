using Lottery.Compaction;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.CommandLine;

/// <summary>
/// Finds a pruned model on disk (a <c>.pruned</c> file, or a run's folder and round) and loads it into a fresh
/// instance of the model class it was saved from, found among the program's types by its full name.
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
            throw new InvalidDataException($"Run '{path}' cannot be used: {problem}. Run the `{Host.ProgramName} run` command that made it again: it sets the run aside and trains it again.");
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
                    $"Run '{path}' has not finished (it has no {Lottery.Results.RunStore.ResultFileName}), so its newest round, {RoundOf(files[^1])}, is not its final model. Finish it by running the same `{Host.ProgramName} run` command again "
                    + $"(it resumes where it stopped), or take that round as it stands with --round {RoundOf(files[^1])}.");
        }

        var chosen = Path.Combine(rounds, $"round-{round:00}{extension}");
        return File.Exists(chosen)
            ? chosen
            : throw new FileNotFoundException($"Run '{path}' has no round {round}; it has rounds {string.Join(", ", files.Select(RoundOf))}.", chosen);
    }

    private static int RoundOf(string file) => int.Parse(Path.GetFileNameWithoutExtension(file)[6..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A fresh instance of the pruned model's class with its masks and trained weights loaded.</summary>
    public static nn.Module<Tensor, Tensor> Load(string file)
    {
        if (ArtifactInfo.ReadHeader(file).Kind != ArtifactKind.PrunedModel)
        {
            throw new InvalidDataException($"'{file}' is a ticket (masks with the weights training starts from), not a pruned model: compact or measure the run's .pruned file instead.");
        }

        return LoadAny(file).Model;
    }

    /// <summary>A fresh instance of the model class a ticket or pruned-model file was saved from, with the file's masks and weights loaded, and which of the two it was.</summary>
    public static (nn.Module<Tensor, Tensor> Model, ArtifactKind Kind) LoadAny(string file)
    {
        var (kind, modelType) = ArtifactInfo.ReadHeader(file);
        var model = Create(modelType, file);
        try
        {
            var masks = ((IPrunableModel)model).AttachMasks();
            if (kind == ArtifactKind.Ticket)
            {
                Ticket.Load(model, masks, file);
            }
            else
            {
                PrunedModel.Load(model, file, masks);
            }

            return (model, kind);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model class a pruned-model file or run was saved from, created with its parameterless constructor.</summary>
    public static nn.Module<Tensor, Tensor> Create(string typeName, string source)
    {
        var type = AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => a.GetType(typeName, throwOnError: false))
            .FirstOrDefault(t => t is not null)
            ?? throw new InvalidOperationException($"'{source}' was saved from {typeName}, a class this program does not have. Load it in your own program with the class's LoadPrunedModel.");
        var constructor = type.GetConstructors().FirstOrDefault(c => c.GetParameters().All(p => p.HasDefaultValue));
        if (!typeof(IPrunableModel).IsAssignableFrom(type) || !typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(type) || constructor is null)
        {
            throw new InvalidOperationException($"{typeName} (from '{source}') is not a [Prunable] model that can be created without arguments.");
        }

        try
        {
            return (nn.Module<Tensor, Tensor>)constructor.Invoke(constructor.GetParameters().Select(p => p.DefaultValue).ToArray());
        }
        catch (System.Reflection.TargetInvocationException error) when (error.InnerException is not null)
        {
            throw new InvalidOperationException($"{typeName}'s constructor failed: {error.InnerException.Message}", error.InnerException);
        }
    }

    /// <summary>The model as a chain, or a clear error when its class declares none.</summary>
    public static IChainModel Chain(nn.Module model) => model as IChainModel
        ?? throw new InvalidOperationException($"{model.GetType().Name} declares no [Chain]: compaction needs the order of its layers. Declare it with [Chain(...)] (see docs/smaller-and-faster.md).");
}
