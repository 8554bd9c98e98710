using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lottery.CommandLine;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Masks;
using Lottery.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Examples.Commands;

/// <summary>
/// Measures what masking costs: LeNet-300-100 trains one epoch dense and one epoch masked at the given
/// sparsity, alternating, several times in one process, and prints samples per second and their ratio.
/// </summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        data.DefaultValueFactory = _ => DataSets.FashionMnist;
        var dataFolder = CommonOptions.DataFolder();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var repeats = new Option<int>("--repeats") { Description = "Epochs measured for each of dense and masked (alternating; the median is reported).", DefaultValueFactory = _ => 5 };
        var sparsity = new Option<double>("--sparsity") { Description = "Fraction of the weights pruned in the masked model.", DefaultValueFactory = _ => 0.8 };
        CommonOptions.Require(repeats, v => v >= 1, "it must be at least 1");
        CommonOptions.Require(sparsity, v => v > 0 && v < 1, "give the fraction of the weights pruned, in (0, 1), for example 0.8");

        var kernels = new Option<bool>("--sparse-kernels") { Description = "Instead: inference of a 784-300-100-10 MLP masked at random to 7%, 2% and 20% density, dense TorchSharp against the sparse kernels (layer by layer, and fused), at batch 1 and 256." };
        var sparseTraining = new Option<bool>("--sparse-training") { Description = "Instead: training epochs of LeNet-300-100 on --data, dense, then pruned by magnitude to 50%, 20%, 7% and 2% of its weights and trained on the dense masked path, the sparse path (SparseTraining.Sparse) and Auto, side by side (--repeats epochs each); then the training steps of a perceptron masked at random, each path alone." };
        var compaction = new Option<bool>("--compaction") { Description = "Instead: TorchVision's ResNet-18 on 3x32x32 inputs, dense, masked and compacted in place at 50% and 25% of its channels: parameters, multiply-adds, batch-1 latency and batch-64 throughput (--repeats rounds)." };
        var command = new Command("benchmark", "Training speed of LeNet-300-100, dense against masked, side by side: samples per second and the ratio (or, with --sparse-kernels, the sparse inference kernels against dense; with --compaction, ResNet-18 compacted in place against dense).")
        {
            data, dataFolder, repeats, sparsity, threads, kernels, sparseTraining, compaction, device,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            if (parse.GetValue(compaction))
            {
                if (parse.GetValue(kernels) || (parse.GetValue(device) is { } other && other != "cpu"))
                {
                    throw new ArgumentException("--compaction measures ResNet-18 on the CPU alone; leave out --sparse-kernels and --device.");
                }

                return CompactionBenchmark.Run(parse.GetValue(repeats), Console.Out);
            }

            if (parse.GetValue(sparseTraining))
            {
                if (parse.GetValue(kernels) || (parse.GetValue(device) is { } other && other != "cpu"))
                {
                    throw new ArgumentException("--sparse-training measures the sparse training path on the CPU alone; leave out --sparse-kernels and --device.");
                }

                var epochs = RunPaths(parse.GetValue(data)!, parse.GetValue(dataFolder), parse.GetValue(repeats), Console.Out);
                Console.Out.WriteLine();
                Console.Out.Write(Lottery.Training.Sparse.SparseTrainingBenchmark.Measure(repeats: parse.GetValue(repeats)).Describe());
                return epochs;
            }

            if (parse.GetValue(kernels))
            {
                if (parse.GetValue(device) is { } chosen && chosen != "cpu")
                {
                    throw new ArgumentException($"--device {chosen}: the sparse kernels run on the CPU only; leave --device out with --sparse-kernels.");
                }

                Console.Out.Write(Lottery.Inference.SparseInferenceBenchmark.Measure().Describe());
                return 0;
            }

            var settings = CommonOptions.WithDevice(new TrainingSettings { Epochs = 1, Seed = 1 }, parse.GetValue(device));
            return Run(parse.GetValue(data)!, parse.GetValue(dataFolder), parse.GetValue(repeats), parse.GetValue(sparsity), settings, Console.Out);
        });
        return command;
    }

    private static int Run(string dataName, string? dataFolder, int repeats, double sparsity, TrainingSettings settings, TextWriter output)
    {
        using var data = DataSets.Load(dataName, dataFolder);
        var device = TrainingDevice.Resolve(settings);
        output.WriteLine($"LeNet-300-100, one epoch of {data.Train.Count} {data.Name} images, batch {settings.BatchSize}, Adam, on {device}; {get_num_threads()} threads; {repeats} epochs each, alternating; {Lottery.Native.Numerics.NameOf(Lottery.Native.Numerics.Profile)} numerics, LibTorch's {Lottery.Native.Numerics.CpuCapability} kernels.");

        // Each model is moved before its masks are attached: moving replaces a module's parameter objects.
        manual_seed(1);
        using var dense = new LeNet300100().to(device);
        using var denseTrainer = new Trainer(dense, settings);

        manual_seed(1);
        using var masked = new LeNet300100().to(device);
        // The masks the generator declares from LeNet300100's [Prunable] attributes: the path users take.
        using var masks = masked.AttachMasks();
        using (var generator = new Generator(1))
        {
            Pruner.Prune(masks, PruningAmount.ToRemaining(1 - sparsity), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        using var maskedTrainer = new Trainer(masked, settings, masks);

        // One untimed epoch each warms up TorchSharp's kernels and the optimizers' state.
        denseTrainer.TrainEpoch(data.Train, 0, 0);
        maskedTrainer.TrainEpoch(data.Train, 0, 0);
        var denseSeconds = new List<double>();
        var maskedSeconds = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            denseSeconds.Add(Time(() => denseTrainer.TrainEpoch(data.Train, 0, i + 1)));
            maskedSeconds.Add(Time(() => maskedTrainer.TrainEpoch(data.Train, 0, i + 1)));
        }

        var denseRate = data.Train.Count / Median(denseSeconds);
        var maskedRate = data.Train.Count / Median(maskedSeconds);
        var table = new TextTable("model", "weights remaining", "median epoch (s)", "samples/s");
        table.Add("dense", "100.0%", Median(denseSeconds).ToString("F3", CultureInfo.InvariantCulture), denseRate.ToString("F0", CultureInfo.InvariantCulture));
        table.Add("masked", $"{masks.WeightsRemaining * 100:F1}%", Median(maskedSeconds).ToString("F3", CultureInfo.InvariantCulture), maskedRate.ToString("F0", CultureInfo.InvariantCulture));
        output.WriteLine();
        table.Write(output);
        output.WriteLine();
        output.WriteLine($"masked / dense time per epoch: {denseRate / maskedRate:F3} (masking costs {((denseRate / maskedRate) - 1) * 100:+0.0;-0.0}%)");
        output.WriteLine($"per-epoch seconds, dense:  {string.Join(" ", denseSeconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))}");
        output.WriteLine($"per-epoch seconds, masked: {string.Join(" ", maskedSeconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))}");
        return 0;
    }

    // Epochs of LeNet-300-100 on each training path, every model trained in turn (one epoch each, round after round), so
    // that the machine's drift falls on all of them alike; the median epoch of each is reported.
    private static int RunPaths(string dataName, string? dataFolder, int repeats, TextWriter output)
    {
        using var data = DataSets.Load(dataName, dataFolder);
        var settings = new TrainingSettings { Epochs = 1, Seed = 1 };
        double[] densities = [0.5, 0.2, 0.07, 0.02];
        output.WriteLine($"LeNet-300-100, one epoch of {data.Train.Count} {data.Name} images, batch {settings.BatchSize}, Adam, on the CPU; {get_num_threads()} threads; {repeats} epochs each, every model in turn, median; {Lottery.Native.Numerics.NameOf(Lottery.Native.Numerics.Profile)} numerics, LibTorch's {Lottery.Native.Numerics.CpuCapability} kernels. Each density is reached by magnitude pruning, layer by layer (the output layer at half the rate), after one dense epoch.");
        var models = new List<(string Name, double Density, SparseTraining Path, LeNet300100 Model, MaskSet? Masks, Trainer Trainer, List<double> Seconds)>();
        try
        {
            manual_seed(1);
            var dense = new LeNet300100();
            models.Add(("dense", 1, SparseTraining.Dense, dense, null, new Trainer(dense, settings), []));
            foreach (var density in densities)
            {
                foreach (var path in new[] { SparseTraining.Dense, SparseTraining.Sparse, SparseTraining.Auto })
                {
                    manual_seed(1);
                    var model = new LeNet300100();
                    var masks = model.AttachMasks();
                    var trainer = new Trainer(model, settings with { SparseTraining = path }, masks);
                    models.Add((path == SparseTraining.Dense ? "masked" : path.ToString(), density, path, model, masks, trainer, []));
                }
            }

            // The first epoch, untimed, trains every model dense alike (nothing is pruned yet); then each is pruned to its density.
            foreach (var (_, density, _, _, masks, trainer, _) in models)
            {
                trainer.TrainEpoch(data.Train, 0, 0);
                if (masks is not null)
                {
                    using var generator = new Generator(1);
                    Pruner.Prune(masks, PruningAmount.ToRemaining(density), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
                    masks.ApplyToOptimizerState(trainer.Optimizer);
                }
            }

            for (var i = 0; i < repeats; i++)
            {
                foreach (var (_, _, _, _, _, trainer, seconds) in models)
                {
                    seconds.Add(Time(() => trainer.TrainEpoch(data.Train, 0, i + 1)));
                }
            }

            var denseRate = data.Train.Count / Median(models[0].Seconds);
            var table = new TextTable("training", "weights remaining", "layers on the sparse path", "median epoch (s)", "samples/s", "against dense");
            foreach (var (name, _, _, _, masks, trainer, seconds) in models)
            {
                var rate = data.Train.Count / Median(seconds);
                table.Add(
                    name,
                    masks is null ? "100.0%" : $"{masks.WeightsRemaining * 100:F1}%",
                    trainer.SparseLayers.Count == 0 ? "none" : string.Join(" ", trainer.SparseLayers.Select(l => l.Replace(".weight", string.Empty, StringComparison.Ordinal))),
                    Median(seconds).ToString("F3", CultureInfo.InvariantCulture),
                    rate.ToString("F0", CultureInfo.InvariantCulture),
                    (rate / denseRate).ToString("F2", CultureInfo.InvariantCulture) + "x");
            }

            output.WriteLine();
            table.Write(output);
            return 0;
        }
        finally
        {
            foreach (var (_, _, _, model, masks, trainer, _) in models)
            {
                trainer.Dispose();
                masks?.Dispose();
                model.Dispose();
            }
        }
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
