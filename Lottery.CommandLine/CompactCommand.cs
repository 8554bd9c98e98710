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
        var command = new Command("compact", "Rebuilds a pruned model as a physically smaller dense model (dead units and the inputs they fed removed), checks it against the pruned model, and writes it as a .chain file (ChainFile.Load reads it) and the pruned model's plain state dictionary (.plain.dat, loads into the model class with load).")
        {
            source, round, output,
        };
        command.SetAction(parse => Run(parse.GetValue(source)!, parse.GetValue(round), parse.GetValue(output), Console.Out));
        return command;
    }

    private static int Run(string source, int? round, string? output, TextWriter console)
    {
        var file = PrunedModels.Locate(source, round);
        using var model = SavedModels.LoadPrunedModel(file);
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

    private static string Size(string path) => string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(path).Length:N0} bytes");
}
