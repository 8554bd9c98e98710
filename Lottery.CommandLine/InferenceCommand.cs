using System.CommandLine;
using System.Globalization;
using Lottery.Inference;
using Lottery.Reporting;
using Lottery.Results;

namespace Lottery.CommandLine;

/// <summary>
/// The inference benchmark's command: <see cref="ExperimentInferenceBenchmark"/> on a finished experiment, with ONNX
/// Runtime beside TorchSharp, printed as a table.
/// </summary>
internal static class InferenceCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("experiment") { Description = "A finished experiment's name (its folder under --out), or a path to its folder." };
        var output = CommonOptions.Output();
        var seed = new Option<long?>("--seed") { Description = "The seed whose models to measure (default: the experiment's first)." };
        var repeats = new Option<int>("--repeats") { Description = "Measured rounds over all the models (the median is reported).", DefaultValueFactory = _ => 7 };
        var threads = CommonOptions.Threads();
        CommonOptions.Require(repeats, v => v >= 1, "it must be at least 1");
        var command = new Command("inference", "Measures a finished experiment's pruned models against the dense one, side by side: file size, parameters, batch-1 latency, batch-256 throughput and test accuracy, as stored (masked), compacted and on the sparse path.")
        {
            name, output, seed, repeats, threads,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var given = parse.GetValue(name)!;
            var folder = Directory.Exists(given) && File.Exists(Path.Combine(given, ExperimentRecord.FileName)) ? given : Path.Combine(parse.GetValue(output)!, given);
            return Run(folder, parse.GetValue(seed), new InferenceTiming(Repeats: parse.GetValue(repeats)), Console.Out);
        });
        return command;
    }

    private static int Run(string folder, long? seed, InferenceTiming timing, TextWriter console)
    {
        var settings = new ExperimentInferenceSettings { Seed = seed, Timing = timing, Experiments = Host.Experiments.Values.ToList(), Onnx = OnnxRuntimeEngine.Instance, Log = console };
        ExperimentInferenceResult result;
        try
        {
            result = ExperimentInferenceBenchmark.Measure(folder, settings);
        }
        catch (ArgumentOutOfRangeException error) when (error.ParamName == nameof(settings.Seed))
        {
            throw new ArgumentException($"{error.Message.Split(" (Parameter", 2)[0]} Give one of them with --seed.", error);
        }

        var table = new TextTable("arm", "point", "weights", "variant", "engine", "file kB", "parameters", "batch-1 µs", "x", "batch-256 /s", "x", "test acc.", "as TorchSharp");
        var baseline = result.Rows[0];
        foreach (var r in result.Rows)
        {
            table.Add(
                r.Arm,
                r.Point.ToString(CultureInfo.InvariantCulture),
                r.WeightsRemainingPercent.ToString("0.#", CultureInfo.InvariantCulture) + "%",
                r.Variant.Name(),
                r.Engine,
                (r.FileBytes / 1024.0).ToString("N0", CultureInfo.InvariantCulture),
                r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                r.LatencyMicroseconds.ToString("0.0", CultureInfo.InvariantCulture),
                (baseline.LatencyMicroseconds / r.LatencyMicroseconds).ToString("0.00", CultureInfo.InvariantCulture),
                r.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                (r.SamplesPerSecond / baseline.SamplesPerSecond).ToString("0.00", CultureInfo.InvariantCulture),
                (r.TestAccuracy * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%",
                InferenceReport.Agreement(r));
        }

        table.Write(console);
        console.WriteLine($"Written to {Path.GetFullPath(folder)}: inference.csv, inference.md, inference-speed.png, inference-size.png");
        return 0;
    }
}
