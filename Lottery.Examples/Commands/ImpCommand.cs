using System.CommandLine;
using System.Globalization;
using Lottery.CommandLine;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;

namespace Lottery.Examples.Commands;

/// <summary>
/// The first experiment: LeNet-300-100 (or Conv-2) trained dense (round 0), then iterative magnitude
/// pruning with rewinding to initialisation, printing test accuracy and weights remaining per round.
/// </summary>
internal static class ImpCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var dataFolder = CommonOptions.DataFolder();
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var epochs = new Option<int>("--epochs") { Description = "Epochs per round.", DefaultValueFactory = _ => 10 };
        var rounds = new Option<int>("--rounds") { Description = "Pruning rounds after the dense round (12 reaches about 7% of the weights).", DefaultValueFactory = _ => 12 };
        var rate = new Option<double>("--rate") { Description = "Fraction of the remaining weights pruned per round in the hidden layers.", DefaultValueFactory = _ => 0.2 };
        var outputRate = new Option<double>("--output-rate") { Description = "Rate for the output layer (the paper halves it).", DefaultValueFactory = _ => 0.1 };
        var criterion = new Option<string>("--criterion") { Description = $"Which weights go: {string.Join(", ", PruningCriteria.All.Select(c => c.Name))}.", DefaultValueFactory = _ => "Magnitude" };
        var rewind = new Option<string>("--rewind") { Description = "After each round: init (the lottery ticket), epoch:K (late rewinding), lr (learning-rate rewinding) or none.", DefaultValueFactory = _ => "init" };
        var model = new Option<string>("--model") { Description = "lenet-300-100 (Adam 1.2e-3; output layer at --output-rate) or conv-2 (Adam 2e-4; convolutions and output layer at --output-rate).", DefaultValueFactory = _ => "lenet-300-100" };
        model.AcceptOnlyFromAmong("lenet-300-100", "conv-2");
        var learningRate = new Option<double?>("--learning-rate") { Description = "Adam's learning rate (default: the model's, from the paper)." };
        var validation = new Option<int>("--validation") { Description = "Training images held out for validation (early-stop figures).", DefaultValueFactory = _ => 1000 };

        CommonOptions.Require(epochs, v => v >= 1, "it must be at least 1");
        CommonOptions.Require(rounds, v => v >= 1, "it must be at least 1");
        CommonOptions.Require(rate, v => v > 0 && v < 1, "give the fraction of the remaining weights pruned per round, in (0, 1), for example 0.2");
        CommonOptions.Require(outputRate, v => v > 0 && v < 1, "give the fraction of the remaining weights pruned per round, in (0, 1), for example 0.1");
        CommonOptions.Require(validation, v => v >= 0, "it must not be negative");

        var command = new Command("imp", "LeNet-300-100 or Conv-2: dense, then iterative magnitude pruning (train, prune, rewind), one line per round.")
        {
            model, data, dataFolder, epochs, rounds, rate, outputRate, criterion, rewind, learningRate, validation, seed, threads, device,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var isConv = parse.GetValue(model) == "conv-2";
            var settings = CommonOptions.WithDevice(
                new TrainingSettings
                {
                    Epochs = parse.GetValue(epochs),
                    Seed = parse.GetValue(seed),
                    LearningRate = parse.GetValue(learningRate) ?? (isConv ? 2e-4 : 1.2e-3),
                },
                parse.GetValue(device));
            // The models' [Prunable] declarations give the paper's per-layer rates; --output-rate replaces the slower
            // ones (the output layer, and Conv-2's convolutions) when asked.
            var declared = isConv ? Conv2.PrunableLayers : LeNet300100.PrunableLayers;
            var method = Method(parse.GetValue(rate), parse.GetValue(rounds), parse.GetValue(criterion)!, parse.GetValue(rewind)!, declared.Where(l => l.Rate is not null).Select(l => l.Member), parse.GetValue(outputRate));
            Func<TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>> create = isConv ? () => new Conv2() : () => new LeNet300100();
            return Run(isConv ? "Conv-2" : "LeNet-300-100", create, parse.GetValue(data)!, parse.GetValue(dataFolder), parse.GetValue(validation), settings, method, Console.Out);
        });
        return command;
    }

    /// <summary>
    /// IMP as one method value, as an experiment's arm declares it: <paramref name="rounds"/> rounds at
    /// <paramref name="rate"/>, the <paramref name="slowLayers"/> at <paramref name="slowRate"/>.
    /// </summary>
    private static PruningMethod Method(double rate, int rounds, string criterion, string rewind, IEnumerable<string> slowLayers, double slowRate)
    {
        if (!PruningCriteria.TryFind(criterion, out var found))
        {
            throw new ArgumentException($"--criterion '{criterion}' is not a criterion. Known criteria: {string.Join(", ", PruningCriteria.All.Concat(PruningCriteria.Registered).Select(c => c.Name))}.");
        }

        var builtIn = Enum.TryParse<CriterionKind>(found.Name, out var kind);
        var rewinding = ParseRewind(rewind);
        return new PruningMethod
        {
            Schedule = ScheduleKind.Iterative,
            Rate = rate,
            Rounds = rounds,
            Criterion = builtIn ? kind : default,
            CriterionName = builtIn ? null : found.Name,
            Rewind = rewinding.Kind,
            RewindEpoch = rewinding.Epoch,
            Layers = slowLayers.Select(layer => new LayerOverride(layer, Rate: slowRate)).ToList(),
        }.WithCriterionSettings();
    }

    private static Rewind ParseRewind(string text) => text.ToLowerInvariant() switch
    {
        "init" => Rewind.ToInit,
        "none" => Rewind.None,
        "lr" => Rewind.LearningRate,
        _ when text.StartsWith("epoch:", StringComparison.OrdinalIgnoreCase) && int.TryParse(text[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var k) => Rewind.ToEpoch(k),
        _ => throw new ArgumentException($"--rewind '{text}' is not one of: init, none, lr, epoch:K (for example epoch:1)."),
    };

    private static int Run(
        string modelName,
        Func<TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>> createModel,
        string dataName,
        string? dataFolder,
        int validation,
        TrainingSettings settings,
        PruningMethod method,
        TextWriter output)
    {
        using var data = DataSets.Load(dataName, dataFolder);
        using var split = DataSplit.HoldOutValidation(data, validation, settings.Seed);
        output.WriteLine($"{modelName} on {data.Name}: {split.Train.Count} training, {split.Validation.Count} validation, {split.Test.Count} test images");
        var pruning = method.ToSettings();
        output.WriteLine($"Adam lr {settings.LearningRate}, batch {settings.BatchSize}, {settings.Epochs} epochs per round, seed {settings.Seed}, on {settings.Device ?? "cpu"}; {pruning}, {string.Join(", ", method.Layers.Select(l => FormattableString.Invariant($"{l.Layer} at {l.Rate * 100:0.#}%")))}");
        output.WriteLine();

        var table = new TextTable("round", "weights remaining", "test accuracy (end)", "test accuracy (early stop)", "early-stop iteration", "seconds");
        using var run = new PruningRun(createModel, settings, pruning);
        run.Hooks.Add(new RoundPrinter(output));
        var result = run.Execute(split);
        foreach (var round in result.Rounds)
        {
            table.Add(
                round.Round == 0 ? "0 (dense)" : round.Round.ToString(CultureInfo.InvariantCulture),
                $"{round.WeightsRemaining * 100:F1}%",
                $"{round.FinalTest.Accuracy * 100:F2}%",
                $"{round.TestAccuracyAtBestValidation * 100:F2}%",
                round.BestValidationLossIteration.ToString(CultureInfo.InvariantCulture),
                round.TrainingSeconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        output.WriteLine();
        table.Write(output);
        output.WriteLine();
        if (run.Masks is { } masks)
        {
            output.WriteLine("Final masks:");
            output.WriteLine(masks.Describe());
            output.WriteLine();
        }

        output.WriteLine($"{result.EpochsTrained} epochs trained in {result.TrainingSeconds:F1} s. Early stop: test accuracy at the epoch of lowest validation loss.");
        return 0;
    }

    private sealed class RoundPrinter(TextWriter output) : ITrainingHooks
    {
        public void AfterRound(RoundResult result) =>
            output.WriteLine($"round {result.Round,2}: {result.WeightsRemaining * 100,5:F1}% of weights, test accuracy {result.FinalTest.Accuracy * 100:F2}% ({result.TrainingSeconds:F1} s)");
    }
}
