using System.CommandLine;
using System.Globalization;
using Lottery.Compaction;
using Lottery.Masks;

namespace Lottery.CommandLine;

/// <summary>Compacts a finished run's pruned model (or a pruned-model file) and writes the compacted model and a plain copy.</summary>
internal static class CompactCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("pruned") { Description = "A pruned model file (.pruned, saved by SavePrunedModel or a run), or a run's folder under results/runs/." };
        var round = new Option<int?>("--round") { Description = "With a run's folder: the round whose pruned model to compact (default: the last; an IMP run keeps one per round)." };
        var output = new Option<string?>("--to") { Description = "The file to write the compacted model to, with the plain state dictionary beside it as <name>.plain.dat (default: beside the pruned model, as <name>.chain and <name>.plain.dat)." };
        var inputShape = new Option<string?>("--input-shape") { Description = "For a model without [Chain]: the shape of one input, without the batch (1,28,28 or 784); its dependency groups are traced on a random input of that shape, and the model is compacted in place." };
        var command = new Command("compact", "Rebuilds a pruned model as a physically smaller dense model (dead units and the inputs they fed removed) and checks it against the pruned model. A [Chain] model is written as a .chain file (ChainFile.Load reads it) with the pruned model's plain state dictionary (.plain.dat); any other model is compacted in place by its dependency groups (give --input-shape) and written as a .compacted file (SavedModels.Load or CompactedModel.Load reads it).")
        {
            source, round, output, inputShape,
        };
        command.SetAction(parse => Run(parse.GetValue(source)!, parse.GetValue(round), parse.GetValue(output), parse.GetValue(inputShape), Console.Out));
        return command;
    }

    private static int Run(string source, int? round, string? output, string? inputShape, TextWriter console)
    {
        var file = PrunedModels.Locate(source, round);
        using var model = SavedModels.LoadPrunedModel(file);
        if (model is not IChainModel)
        {
            return InPlace(file, model, output, inputShape, console);
        }

        var chain = PrunedModels.Chain(model);
        var result = chain.Compact();
        using var compacted = result.Model;
        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, Path.GetFileNameWithoutExtension(file));
        var target = output ?? stem + ".chain";

        // With --to, both files go there: the plain copy beside the compacted model, nothing into the run's folder.
        var plain = output is null ? stem + ".plain.dat" : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output) + ".plain.dat");
        CommonOptions.RequireWritable(target, chosen: output is not null);
        try
        {
            ChainFile.Save(compacted, target, chain.InputShape);
            PrunedModel.SavePlain(model, ((IPrunableModel)model).Masks!, plain);
        }
        catch (Exception error) when (error is (IOException and not FileNotFoundException) or UnauthorizedAccessException)
        {
            throw CommonOptions.Unwritable(target, output is not null, error);
        }

        console.WriteLine($"{model.GetType().Name} from {file} ({Size(file)}, {((IPrunableModel)model).Masks!.WeightsRemaining * 100:0.0}% of the prunable weights remaining)");
        console.WriteLine(result.Report.Describe());
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Checked against the pruned model's own forward on random samples: same outputs within 1e-4, same predictions."));
        console.WriteLine($"Compacted model: {target} ({Size(target)}); load it with ChainFile.Load.");
        console.WriteLine($"Plain state dictionary of the pruned model (no masks): {plain} ({Size(plain)}); load it into {model.GetType().Name} with load(path).");
        return 0;
    }

    // A model without [Chain]: compacted in place by the groups traced on one random input, written with its sizes.
    private static int InPlace(string file, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, string? output, string? inputShape, TextWriter console)
    {
        var shape = ParseShape(inputShape, model);
        var target = output ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, Path.GetFileNameWithoutExtension(file)) + ".compacted";
        CommonOptions.RequireWritable(target, chosen: output is not null);
        var masks = ((IPrunableModel)model).Masks!;
        var remaining = masks.WeightsRemaining;
        var report = CompactInPlace(model, shape, inputShape!);

        try
        {
            CompactedModel.Save(model, target);
        }
        catch (Exception error) when (error is (IOException and not FileNotFoundException) or UnauthorizedAccessException)
        {
            throw CommonOptions.Unwritable(target, output is not null, error);
        }

        console.WriteLine($"{model.GetType().Name} from {file} ({Size(file)}, {remaining * 100:0.0}% of the prunable weights remaining), compacted in place by its dependency groups:");
        console.WriteLine(report.Describe());
        console.WriteLine("Checked against the pruned model on a random input of that shape: same outputs within 1e-4.");
        console.WriteLine($"Compacted model: {target} ({Size(target)}); load it with SavedModels.Load(path), or CompactedModel.Load(new {model.GetType().Name}(), path).");
        return 0;
    }

    /// <summary>
    /// Compacts <paramref name="model"/> in place by the groups traced on a random input of <paramref name="shape"/> (token
    /// indices for a model that holds an Embedding), checked on it.
    /// </summary>
    internal static InPlaceCompaction CompactInPlace(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, long[] shape, string inputShape)
    {
        using var example = Lottery.Export.Graphs.GraphCapture.Example(model, shape);
        try
        {
            return Compactor.CompactInPlace(model, example);
        }
        catch (Exception error) when (error is System.Runtime.InteropServices.ExternalException or ArgumentException)
        {
            // Traced on an input of the shape given: a forward that cannot take it fails in LibTorch or TorchSharp.
            throw new ArgumentException($"--input-shape {inputShape} does not fit {model.GetType().Name}: its forward fails on an input of that shape ({error.Message.Split('\n')[0].Trim()}). Give the shape of one input without the batch, as the model's data has it.", error);
        }
    }

    /// <summary>The shape <c>--input-shape</c> gives; without it, an error saying why <paramref name="needed"/> needs it.</summary>
    internal static long[] ParseShape(string? text, object model, string? needed = null)
    {
        var name = model.GetType().Name;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException(needed ?? $"{name} declares no [Chain], so it is compacted in place by its dependency groups, traced on one input: give its shape without the batch with --input-shape (for example --input-shape 1,28,28).");
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
            {
                throw new ArgumentException($"--input-shape '{text}' is not a shape: give positive sizes separated by commas, without the batch (for example 1,28,28 or 784).");
            }
        }

        return sizes;
    }

    private static string Size(string path) => string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(path).Length:N0} bytes");
}
