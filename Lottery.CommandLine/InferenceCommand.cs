using System.CommandLine;
using System.Globalization;
using Lottery.Compaction;
using Lottery.Data;
using Lottery.Experiments;
using Lottery.Export;
using Lottery.Masks;
using Lottery.Reporting;
using Lottery.Inference;
using Lottery.Results;
using Lottery.Training;
using Microsoft.ML.OnnxRuntime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.CommandLine;

/// <summary>
/// The inference benchmark: for a finished experiment, each pruned model of one seed as it is stored (masked), compacted
/// and on the sparse path, against the dense model, side by side in one process: file size, parameters, batch-1
/// latency, batch-256 throughput and test accuracy; a table, <c>inference.csv</c>, <c>inference.md</c> and two charts.
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
        var summary = ExperimentSummary.Load(folder);
        var record = summary.Record;
        var source = DataOf(record);
        var chosenSeed = seed ?? record.Seeds[0];
        if (!record.Seeds.Contains(chosenSeed))
        {
            throw new ArgumentException($"Experiment '{record.Name}' has no seed {chosenSeed}; its seeds are {string.Join(", ", record.Seeds)}. Give one of them with --seed.");
        }

        var runs = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))!, "runs");
        var store = new RunStore(runs);
        // The dense model (IMP's round 0) and every arm at the experiment's matched points (all points when it matches none).
        var points = record.Points.Count > 0 ? record.Points.Append(0).ToHashSet() : null;
        var candidates = summary.Rows
            .Where(r => r.Seed == chosenSeed && (points is null || points.Contains(r.Point)) && File.Exists(store.PrunedModelPath(r.Run, r.Round)))
            .OrderByDescending(r => r.WeightsRemainingPercent)
            .ToList();
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException($"Experiment '{record.Name}' has no pruned models of seed {chosenSeed} in {runs}: its runs finished before Lottery kept them (rounds/round-NN.pruned). Delete the runs and run the experiment again.");
        }

        var reference = candidates[0];
        if (reference.WeightsRemainingPercent < 100)
        {
            throw new InvalidOperationException($"Experiment '{record.Name}' keeps no dense trained model (an IMP run's round 0) for seed {chosenSeed}: the benchmark compares against it.");
        }

        using var data = source.Load();
        var scratch = Directory.CreateTempSubdirectory("lottery-inference-");
        var variants = new List<Variant>();
        var owned = new List<IDisposable>();
        try
        {
            // The dense reference: the trained dense model, stored as a plain state dictionary.
            var dense = PrunedModels.Load(store.PrunedModelPath(reference.Run, reference.Round));
            owned.Add(dense);
            var densePlain = Path.Combine(scratch.FullName, "dense.dat");
            PrunedModel.SavePlain(dense, ((IPrunableModel)dense).Masks!, densePlain);
            variants.Add(new Variant(reference, "dense", dense, new FileInfo(densePlain).Length, dense.parameters().Sum(p => p.numel())));
            if (dense is IChainModel denseChain)
            {
                variants.AddRange(Onnx(variants[^1], denseChain.ToSequential(), denseChain.InputShape, owned, console));
            }

            foreach (var row in candidates.Skip(1).Where(r => r.WeightsRemainingPercent < 100))
            {
                var file = store.PrunedModelPath(row.Run, row.Round);
                var model = PrunedModels.Load(file);
                owned.Add(model);
                variants.Add(new Variant(row, "masked", model, new FileInfo(file).Length, NonZero(model)));
                if (model is IChainModel chain)
                {
                    // The masked model in ONNX Runtime: its file stores the pruned weights sparsely.
                    variants.AddRange(Onnx(variants[^1], chain.ToSequential(), chain.InputShape, owned, console));
                    var compacted = chain.Compact().Model;
                    owned.Add(compacted);
                    var path = Path.Combine(scratch.FullName, $"{row.Run}-{row.Round}.chain");
                    ChainFile.Save(compacted, path, chain.InputShape);
                    variants.Add(new Variant(row, "compacted", compacted, new FileInfo(path).Length, compacted.parameters().Sum(p => p.numel())));
                    variants.AddRange(Onnx(variants[^1], compacted, chain.InputShape, owned, console));

                    // The sparse path: the compacted chain's Linear layers on CSR kernels, consecutive ones fused into one
                    // call (no LibTorch call between layers), the faster of that and dense chosen per batch size by
                    // measuring both. Every layer is offered, dense ones too: at batch 1 the fused chain's lack of
                    // per-call overhead can beat LibTorch even without zeros. Stored as the .pruned file.
                    var converted = SparseInference.Convert(compacted, maxDensity: 1.0);
                    if (converted.children().Any(m => m is SparseLinear))
                    {
                        var sparse = SparseInference.Fuse(converted);
                        owned.Add(sparse);
                        variants.Add(new Variant(row, "sparse", sparse, new FileInfo(file).Length, NonZero(model)));
                    }
                }
            }

            var engines = variants.Count(v => v.Session is not null);
            console.WriteLine($"{record.Name}, seed {chosenSeed}: {variants.Count - engines} models in TorchSharp and {engines} in ONNX Runtime on {data.Test.Count:N0} test samples; {get_num_threads()} threads; {Lottery.Native.Numerics.NameOf(Lottery.Native.Numerics.Profile)} numerics, LibTorch's {Lottery.Native.Numerics.CpuCapability} kernels; {timing.Repeats} rounds of {timing.LatencyCalls} batch-1 calls and {timing.ThroughputBatches} batches of {timing.BatchSize}, interleaved.");
            var speeds = InferenceTimer.Measure(
                variants.Select(v => v.Session is { } session
                    ? inputs => new OnnxRuntimeEngine(session, inputs, v.InputShape!)
                    : InferenceTimer.Engine(v.Model)).ToList(),
                data.Test.Inputs,
                timing);

            // TorchSharp's predictions of each model, to count how many of them ONNX Runtime's file gives too.
            var torchSharp = new Dictionary<nn.Module<Tensor, Tensor>, long[]>();
            long[] labels;
            using (var all = data.Test.Labels.to(ScalarType.Int64))
            {
                labels = all.data<long>().ToArray();
            }

            var rows = variants.Select((v, i) =>
            {
                if (v.Session is null)
                {
                    return new InferenceRow(Arm(v), v.Row.Point, Weights(v), v.Name, v.Bytes, v.Parameters, speeds[i].LatencyMicroseconds, speeds[i].SamplesPerSecond, Trainer.Evaluate(v.Model, data.Test).Accuracy);
                }

                var expected = torchSharp.TryGetValue(v.Model, out var known) ? known : torchSharp[v.Model] = Predict(v.Model, data.Test.Inputs);
                var predicted = OnnxRuntimeEngine.Predict(v.Session, data.Test.Inputs, v.InputShape!);
                return new InferenceRow(
                    Arm(v), v.Row.Point, Weights(v), v.Name, v.Bytes, v.Parameters, speeds[i].LatencyMicroseconds, speeds[i].SamplesPerSecond,
                    (double)predicted.Where((p, k) => p == labels[k]).Count() / labels.Length,
                    InferenceEngines.OnnxRuntime,
                    predicted.Where((p, k) => p == expected[k]).Count(),
                    labels.Length);
            }).ToList();

            var table = new TextTable("arm", "point", "weights", "variant", "engine", "file kB", "parameters", "batch-1 µs", "x", "batch-256 /s", "x", "test acc.", "as TorchSharp");
            var baseline = rows[0];
            foreach (var r in rows)
            {
                table.Add(
                    r.Arm,
                    r.Point.ToString(CultureInfo.InvariantCulture),
                    r.WeightsRemainingPercent.ToString("0.#", CultureInfo.InvariantCulture) + "%",
                    r.Variant,
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
            InferenceReport.Write(folder, $"{record.Name}, seed {chosenSeed}", rows);
            console.WriteLine($"Written to {Path.GetFullPath(folder)}: inference.csv, inference.md, inference-speed.png, inference-size.png");
            return 0;
        }
        finally
        {
            // In reverse: a sparse chain shares its unconverted modules with the compacted chain it came from.
            foreach (var item in Enumerable.Reverse(owned))
            {
                item.Dispose();
            }

            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The data the experiment ran on: its declared experiment's, or (an experiment renamed with --name) the built-in
    /// data set of that name; refused when its content is not what the experiment recorded.
    /// </summary>
    private static IDataSource DataOf(ExperimentRecord record)
    {
        var source = Host.Experiments.GetValueOrDefault(record.Name)?.Data
            ?? (DataSets.Known.Contains(record.Data.Name) ? new BuiltInDataSource(record.Data.Name) : null)
            ?? throw new InvalidOperationException($"Experiment '{record.Name}' ran on data '{record.Data.Name}', which is neither a declared experiment's nor a built-in data set.");
        if (source.ContentHash() != record.Data.ContentHash)
        {
            throw new InvalidDataException($"The data '{record.Data.Name}' found here differ from those experiment '{record.Name}' was run on (content hash {record.Data.ContentHash}); the accuracies would not be comparable.");
        }

        return source;
    }

    /// <summary>One model the benchmark measures: a TorchSharp module, or (with a session) its ONNX file in ONNX Runtime.</summary>
    private sealed record Variant(SummaryRow Row, string Name, nn.Module<Tensor, Tensor> Model, long Bytes, long Parameters, InferenceSession? Session = null, IReadOnlyList<long>? InputShape = null);

    /// <summary>The same model exported to ONNX and loaded in ONNX Runtime; its file size is the ONNX file's.</summary>
    /// <summary>The same model exported to ONNX and loaded in ONNX Runtime (its file size is the ONNX file's); none, with a line saying why, when ONNX export refuses it.</summary>
    private static IEnumerable<Variant> Onnx(Variant torchSharp, Sequential chain, IReadOnlyList<long> inputShape, List<IDisposable> owned, TextWriter console)
    {
        byte[] onnx;
        try
        {
            onnx = OnnxExport.ToBytes(chain, inputShape);
        }
        catch (NotSupportedException error)
        {
            console.WriteLine($"Not run in ONNX Runtime: {torchSharp.Row.Arm} at point {torchSharp.Row.Point}, {torchSharp.Name}. {error.Message}");
            return [];
        }

        var session = OnnxRuntimeEngine.Session(onnx);
        owned.Add(session);
        return [torchSharp with { Bytes = onnx.Length, Session = session, InputShape = inputShape }];
    }

    private static string Arm(Variant v) => v.Name == "dense" ? "dense" : v.Row.Arm;

    private static double Weights(Variant v) => v.Name == "dense" ? 100 : v.Row.WeightsRemainingPercent;

    /// <summary>The class TorchSharp predicts for every sample, in batches of 256.</summary>
    private static long[] Predict(nn.Module<Tensor, Tensor> model, Tensor inputs)
    {
        model.eval();
        using var noGrad = no_grad();
        var predictions = new List<long>();
        for (long start = 0; start < inputs.shape[0]; start += 256)
        {
            using var scope = NewDisposeScope();
            predictions.AddRange(model.call(inputs.narrow(0, start, Math.Min(256, inputs.shape[0] - start))).argmax(1).data<long>().ToArray());
        }

        return predictions.ToArray();
    }

    private static long NonZero(nn.Module model)
    {
        using var scope = NewDisposeScope();
        return model.parameters().Sum(p => p.count_nonzero().item<long>());
    }
}
