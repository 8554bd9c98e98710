using System.CommandLine;
using System.Globalization;
using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Results;
using Lottery.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace Lottery.Examples.Commands;

/// <summary>
/// The hypothesis comparison (the main job): dense, IMP with rewinding to init, EveryEpoch by magnitude and by
/// least change with and without rewinding, random pruning and the random re-initialisation control, at the
/// weights remaining of chosen IMP rounds, for several seeds; results, report, tables and plots on disk.
/// </summary>
internal static class CompareCommand
{
    private static readonly Dictionary<string, (string Name, Func<nn.Module<Tensor, Tensor>> Create, double LearningRate)> Models = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lenet-300-100"] = ("LeNet300100", () => new LeNet300100(), 1.2e-3),
        ["conv-2"] = ("Conv2", () => new Conv2(), 2e-4),
    };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model: lenet-300-100 (Adam 1.2e-3, as in the paper) or conv-2 (Adam 2e-4). Both prune 20% of the remaining weights per event, the output layer (and Conv-2's convolutions) 10%.", DefaultValueFactory = _ => "lenet-300-100" };
        model.AcceptOnlyFromAmong([.. Models.Keys]);
        var data = CommonOptions.Data();
        var dataFolder = CommonOptions.DataFolder();
        var seeds = new Option<long[]>("--seeds") { Description = "Seeds; each runs every method (initialisation, validation split, batch order, random pruning).", DefaultValueFactory = _ => [1, 2, 3], AllowMultipleArgumentsPerToken = true };
        var epochs = new Option<int>("--epochs") { Description = "Epochs of one training: each IMP round, and each one-run method's whole run.", DefaultValueFactory = _ => 15 };
        var rate = new Option<double>("--rate") { Description = "Fraction of the remaining weights removed per pruning event, by IMP after each round and by the one-run methods after each epoch.", DefaultValueFactory = _ => 0.2 };
        var rounds = new Option<int>("--rounds") { Description = "IMP's pruning rounds (12 at 20% leave about 7% of the weights).", DefaultValueFactory = _ => 12 };
        var points = new Option<int[]>("--points") { Description = "The IMP rounds whose weights remaining the one-run methods and the re-initialisation control are run to, for example --points 3 7 12 (51%, 21%, 7% at 20%).", DefaultValueFactory = _ => [3, 7, 12], AllowMultipleArgumentsPerToken = true };
        var recovery = new Option<int>("--recovery-epochs") { Description = "The one-run methods stop pruning this many epochs before the end, so the last pruning event is followed by training.", DefaultValueFactory = _ => 3 };
        var methods = new Option<ComparisonMethod[]>("--methods") { Description = $"The methods to compare (default: {string.Join(" ", ComparisonSettings.DefaultMethods)}; also {string.Join(" ", Enum.GetValues<ComparisonMethod>().Except(ComparisonSettings.DefaultMethods))}).", AllowMultipleArgumentsPerToken = true };
        var learningRate = new Option<double?>("--learning-rate") { Description = "Adam's learning rate (default: the model's, from the paper)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 60 };
        var validation = new Option<int?>("--validation") { Description = "Training images held out for validation, which early stopping uses (default: 1,000 for mnist-digits, 5,000 for fashion-mnist)." };
        var output = CommonOptions.Output();
        var name = new Option<string?>("--name") { Description = "The comparison's name, the folder of its report under --out (default: <model>-<data>, for example lenet-300-100-mnist-digits)." };
        var threads = CommonOptions.Threads();
        CommonOptions.Require(epochs, v => v >= 1, "it must be at least 1");
        CommonOptions.Require(rounds, v => v >= 1, "it must be at least 1");
        CommonOptions.Require(rate, v => v > 0 && v < 1, "give a fraction in (0, 1), for example 0.2");
        CommonOptions.Require(recovery, v => v >= 0, "it must not be negative");
        CommonOptions.Require(batch, v => v >= 1, "it must be at least 1");
        CommonOptions.Require(validation, v => v is null or >= 0, "it must not be negative");

        var command = new Command("compare", "The hypothesis comparison: does pruning after every epoch of one run find tickets as good as IMP's? Runs every method for every seed (finished runs are read back, interrupted ones resume), then writes summary.json, summary.csv, report.md and three charts to <out>/<name>/.")
        {
            model, data, dataFolder, seeds, epochs, rate, rounds, points, recovery, methods, learningRate, batch, validation, output, name, threads,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var modelKey = parse.GetValue(model)!;
            var (modelName, create, defaultRate) = Models[modelKey];
            var dataSet = parse.GetValue(data)!.ToLowerInvariant();
            var chosen = parse.GetValue(methods);
            var settings = new ComparisonSettings
            {
                Name = parse.GetValue(name) ?? $"{modelKey}-{dataSet}",
                Model = modelName,
                CreateModel = create,
                DataSet = dataSet,
                ValidationCount = parse.GetValue(validation) ?? (dataSet == DataSets.FashionMnist ? 5000 : 1000),
                Training = new TrainingSettings { Epochs = parse.GetValue(epochs), LearningRate = parse.GetValue(learningRate) ?? defaultRate, BatchSize = parse.GetValue(batch) },
                Seeds = parse.GetValue(seeds)!,
                Rate = parse.GetValue(rate),
                ImpRounds = parse.GetValue(rounds),
                MatchedRounds = parse.GetValue(points)!,
                RecoveryEpochs = parse.GetValue(recovery),
                Methods = chosen is { Length: > 0 } ? chosen : ComparisonSettings.DefaultMethods,
            }.Validate();
            return Run(settings, parse.GetValue(output)!, parse.GetValue(dataFolder));
        });
        return command;
    }

    private static int Run(ComparisonSettings settings, string output, string? dataFolder)
    {
        var console = AnsiConsole.Console;
        console.MarkupLineInterpolated($"[bold]{settings.Name}[/]: {settings.Model} on {settings.DataSet}, {settings.Training.Epochs} epochs per training, seeds {string.Join(" ", settings.Seeds)}, IMP {settings.ImpRounds} rounds at {settings.Rate * 100:0.#}%, one-run methods at IMP rounds {string.Join(" ", settings.MatchedRounds)}");
        var report = ConsoleProgress.Run(console, progress => Comparison.Run(settings, output, dataFolder, progress));
        var folder = Path.Combine(Path.GetFullPath(output), settings.Name);
        ReportCommand.Show(console, report, folder);
        return 0;
    }
}
