using Lottery.Compaction;
using Lottery.Data;
using Lottery.Experiments;
using Lottery.Export;
using Lottery.Masks;
using Lottery.Reporting;
using Lottery.Results;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>How <see cref="ExperimentInferenceBenchmark.Measure"/> measures an experiment.</summary>
public sealed record ExperimentInferenceSettings
{
    /// <summary>The seed whose models to measure, or null for the experiment's first.</summary>
    public long? Seed { get; init; }

    /// <summary>How long each model is timed.</summary>
    public InferenceTiming Timing { get; init; } = new();

    /// <summary>
    /// The program's declared experiments: the one of the recorded experiment's name gives the data it ran on. An
    /// experiment none of them names (one renamed when it ran) is measured on the built-in data set of its recorded data's name.
    /// </summary>
    public IReadOnlyCollection<ExperimentDefinition> Experiments { get; init; } = [];

    /// <summary>An engine that also runs every model with a chain (but the sparse path) from its exported ONNX file, or null for TorchSharp alone.</summary>
    public IOnnxEngine? Onnx { get; init; }

    /// <summary>Where to say what is measured, and which models the ONNX engine cannot run, as it happens; null for nowhere.</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>What <see cref="ExperimentInferenceBenchmark.Measure"/> measured, as it wrote it to the experiment's folder.</summary>
/// <param name="Title">The experiment's name and the seed measured, the title of the files.</param>
/// <param name="Rows">One row per variant and engine; the first is the dense model in TorchSharp, the reference.</param>
public sealed record ExperimentInferenceResult(string Title, IReadOnlyList<InferenceRow> Rows);

/// <summary>
/// The inference benchmark of a finished experiment: each pruned model of one seed as it is stored (masked), compacted
/// and on the sparse path, against the dense model, side by side in one process: file size, parameters, batch-1
/// latency, batch-256 throughput and test accuracy, written as <c>inference.csv</c>, <c>inference.md</c> and two charts
/// (<see cref="InferenceReport"/>). Its timings depend on the machine and its load: a measurement, not a test.
/// </summary>
public static class ExperimentInferenceBenchmark
{
    /// <summary>
    /// Measures the models of the experiment in <paramref name="experimentFolder"/> (its <c>experiment.json</c>, its runs
    /// in <c>runs/</c> beside it): the dense model (IMP's round 0) and every arm at the experiment's matched points (all
    /// points when it matches none), and writes the report into the folder. Uses LibTorch's current thread count.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no finished experiment.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The experiment has no seed <see cref="ExperimentInferenceSettings.Seed"/>.</exception>
    /// <exception cref="InvalidOperationException">The experiment keeps no pruned models of the seed, or no dense one, or its data are not found.</exception>
    /// <exception cref="InvalidDataException">The data found differ from those the experiment ran on.</exception>
    public static ExperimentInferenceResult Measure(string experimentFolder, ExperimentInferenceSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(experimentFolder);
        settings ??= new ExperimentInferenceSettings();
        var log = settings.Log ?? TextWriter.Null;
        var timing = settings.Timing;
        var summary = ExperimentSummary.Load(experimentFolder);
        var record = summary.Record;
        var source = DataOf(record, settings.Experiments);
        var seed = settings.Seed ?? record.Seeds[0];
        if (!record.Seeds.Contains(seed))
        {
            throw new ArgumentOutOfRangeException(nameof(settings.Seed), seed, $"Experiment '{record.Name}' has no seed {seed}; its seeds are {string.Join(", ", record.Seeds)}.");
        }

        var runs = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(experimentFolder).TrimEnd(Path.DirectorySeparatorChar))!, "runs");
        var store = new RunStore(runs);
        var points = record.Points.Count > 0 ? record.Points.Append(0).ToHashSet() : null;
        var candidates = summary.Rows
            .Where(r => r.Seed == seed && (points is null || points.Contains(r.Point)) && File.Exists(store.PrunedModelPath(r.Run, r.Round)))
            .OrderByDescending(r => r.WeightsRemainingPercent)
            .ToList();
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException($"Experiment '{record.Name}' has no pruned models of seed {seed} in {runs}: its runs finished before Lottery kept them (rounds/round-NN.pruned). Delete the runs and run the experiment again.");
        }

        var reference = candidates[0];
        if (reference.WeightsRemainingPercent < 100)
        {
            throw new InvalidOperationException($"Experiment '{record.Name}' keeps no dense trained model (an IMP run's round 0) for seed {seed}: the benchmark compares against it.");
        }

        using var data = source.Load();
        var scratch = Directory.CreateTempSubdirectory("lottery-inference-");
        var variants = new List<Variant>();
        var owned = new List<IDisposable>();
        try
        {
            // The dense reference: the trained dense model, stored as a plain state dictionary.
            var dense = SavedModels.LoadPrunedModel(store.PrunedModelPath(reference.Run, reference.Round));
            owned.Add(dense);
            var densePlain = Path.Combine(scratch.FullName, "dense.dat");
            PrunedModel.SavePlain(dense, ((IPrunableModel)dense).Masks!, densePlain);
            variants.Add(new Variant(reference, InferenceVariant.Dense, dense, new FileInfo(densePlain).Length, dense.parameters().Sum(p => p.numel())));
            // A model without [Chain] is exported as the graph of its forward, captured on inputs shaped as the data's.
            long[] sampleShape = [.. data.Test.Inputs.shape.Skip(1)];
            if (dense is IChainModel denseChain)
            {
                variants.AddRange(Onnx(variants[^1], denseChain.ToSequential(), denseChain.InputShape, settings.Onnx, owned, log));
            }
            else
            {
                variants.AddRange(Onnx(variants[^1], dense, sampleShape, settings.Onnx, owned, log));
            }

            foreach (var row in candidates.Skip(1).Where(r => r.WeightsRemainingPercent < 100))
            {
                var file = store.PrunedModelPath(row.Run, row.Round);
                var model = SavedModels.LoadPrunedModel(file);
                owned.Add(model);
                variants.Add(new Variant(row, InferenceVariant.Masked, model, new FileInfo(file).Length, NonZero(model)));
                if (model is IChainModel chain)
                {
                    // The masked model in the ONNX engine: its file stores the pruned weights sparsely.
                    variants.AddRange(Onnx(variants[^1], chain.ToSequential(), chain.InputShape, settings.Onnx, owned, log));
                    var compacted = chain.Compact().Model;
                    owned.Add(compacted);
                    var path = Path.Combine(scratch.FullName, $"{row.Run}-{row.Round}.chain");
                    ChainFile.Save(compacted, path, chain.InputShape);
                    variants.Add(new Variant(row, InferenceVariant.Compacted, compacted, new FileInfo(path).Length, compacted.parameters().Sum(p => p.numel())));
                    variants.AddRange(Onnx(variants[^1], compacted, chain.InputShape, settings.Onnx, owned, log));

                    // The sparse path: the compacted chain's Linear layers on CSR kernels, consecutive ones fused into one
                    // call (no LibTorch call between layers), the faster of that and dense chosen per batch size by
                    // measuring both. Every layer is offered, dense ones too: at batch 1 the fused chain's lack of
                    // per-call overhead can beat LibTorch even without zeros. Stored as the .pruned file.
                    var converted = SparseInference.Convert(compacted, maxDensity: 1.0);
                    if (converted.children().Any(m => m is SparseLinear))
                    {
                        var sparse = SparseInference.Fuse(converted);
                        owned.Add(sparse);
                        variants.Add(new Variant(row, InferenceVariant.Sparse, sparse, new FileInfo(file).Length, NonZero(model)));
                    }
                }
                else
                {
                    variants.AddRange(Onnx(variants[^1], model, sampleShape, settings.Onnx, owned, log));
                    if (InPlace(file, data.Test.Inputs, scratch.FullName, $"{row.Run}-{row.Round}", log) is { } compactedInPlace)
                    {
                        // A model built from blocks, pruned by its groups: a second copy compacted in place, its own forward
                        // running on the smaller layers; measured from its .compacted file's size, and in the ONNX engine.
                        owned.Add(compactedInPlace.Model);
                        variants.Add(new Variant(row, InferenceVariant.Compacted, compactedInPlace.Model, compactedInPlace.Bytes, compactedInPlace.Model.parameters().Sum(p => p.numel())));
                        variants.AddRange(Onnx(variants[^1], compactedInPlace.Model, sampleShape, settings.Onnx, owned, log));
                    }
                }
            }

            var onEngine = variants.Count(v => v.Session is not null);
            log.WriteLine($"{record.Name}, seed {seed}: {variants.Count - onEngine} models in TorchSharp and {onEngine} in {settings.Onnx?.Name ?? "another engine"} on {data.Test.Count:N0} test samples; {get_num_threads()} threads; {Native.Numerics.NameOf(Native.Numerics.Profile)} numerics, LibTorch's {Native.Numerics.CpuCapability} kernels; {timing.Repeats} rounds of {timing.LatencyCalls} batch-1 calls and {timing.ThroughputBatches} batches of {timing.BatchSize}, interleaved.");
            var speeds = InferenceTimer.Measure(
                variants.Select(v => v.Session is { } session ? session.Engine : InferenceTimer.Engine(v.Model)).ToList(),
                data.Test.Inputs,
                timing);

            // TorchSharp's predictions of each model, to count how many of them the ONNX engine's file gives too.
            var torchSharp = new Dictionary<nn.Module<Tensor, Tensor>, long[]>();
            long[] labels;
            using (var all = data.Test.Labels.to(ScalarType.Int64))
            {
                labels = all.data<long>().ToArray();
            }

            var rows = variants.Select((v, i) =>
            {
                var arm = v.Kind == InferenceVariant.Dense ? "dense" : v.Row.Arm;
                var weights = v.Kind == InferenceVariant.Dense ? 100 : v.Row.WeightsRemainingPercent;
                if (v.Session is null)
                {
                    return new InferenceRow(arm, v.Row.Point, weights, v.Kind, v.Bytes, v.Parameters, speeds[i].LatencyMicroseconds, speeds[i].SamplesPerSecond, Trainer.Evaluate(v.Model, data.Test).Accuracy);
                }

                var expected = torchSharp.TryGetValue(v.Model, out var known) ? known : torchSharp[v.Model] = Predict(v.Model, data.Test.Inputs);
                var predicted = v.Session.Predict(data.Test.Inputs);
                return new InferenceRow(
                    arm, v.Row.Point, weights, v.Kind, v.Bytes, v.Parameters, speeds[i].LatencyMicroseconds, speeds[i].SamplesPerSecond,
                    (double)predicted.Where((p, k) => p == labels[k]).Count() / labels.Length,
                    settings.Onnx!.Name,
                    predicted.Where((p, k) => p == expected[k]).Count(),
                    labels.Length);
            }).ToList();

            var title = $"{record.Name}, seed {seed}";
            InferenceReport.Write(experimentFolder, title, rows);
            return new ExperimentInferenceResult(title, rows);
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
    /// The data the experiment ran on: its declared experiment's, or (an experiment renamed when it ran) the built-in
    /// data set of that name; refused when its content is not what the experiment recorded.
    /// </summary>
    private static IDataSource DataOf(ExperimentRecord record, IReadOnlyCollection<ExperimentDefinition> experiments)
    {
        var source = experiments.FirstOrDefault(e => e.Name == record.Name)?.Data
            ?? (DataSets.Known.Contains(record.Data.Name) ? new BuiltInDataSource(record.Data.Name) : null)
            ?? throw new InvalidOperationException($"Experiment '{record.Name}' ran on data '{record.Data.Name}', which is neither a declared experiment's nor a built-in data set.");
        if (source.ContentHash() != record.Data.ContentHash)
        {
            throw new InvalidDataException($"The data '{record.Data.Name}' found here differ from those experiment '{record.Name}' was run on (content hash {record.Data.ContentHash}); the accuracies would not be comparable.");
        }

        return source;
    }

    // The pruned model of 'file' compacted in place by the groups traced on the first test input, saved to 'scratch' for
    // its size; null when no unit was pruned whole (an unstructured run), as then it is the masked model again, or when
    // its groups cannot be traced (said in the log).
    private static (nn.Module<Tensor, Tensor> Model, long Bytes)? InPlace(string file, Tensor inputs, string scratch, string name, TextWriter log)
    {
        var model = SavedModels.LoadPrunedModel(file);
        try
        {
            using var example = inputs.narrow(0, 0, 1).clone();
            var report = Compactor.CompactInPlace(model, example);
            if (report.ParametersAfter == report.ParametersBefore)
            {
                model.Dispose();
                return null;
            }

            var path = Path.Combine(scratch, name + ".compacted");
            CompactedModel.Save(model, path);
            return (model, new FileInfo(path).Length);
        }
        catch (Exception error) when (error is NotSupportedException or CompactionMismatchException or System.Runtime.InteropServices.ExternalException)
        {
            log.WriteLine($"{name}: not compacted ({error.Message.Split('\n')[0].Trim()})");
            model.Dispose();
            return null;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>One model the benchmark measures: a TorchSharp module, or (with a session) its ONNX file in the ONNX engine.</summary>
    private sealed record Variant(SummaryRow Row, InferenceVariant Kind, nn.Module<Tensor, Tensor> Model, long Bytes, long Parameters, IOnnxSession? Session = null);

    /// <summary>The same model exported to ONNX and opened in the engine (its file size is the ONNX file's); none without an engine, or, with a line saying why, when ONNX export refuses the model.</summary>
    private static IEnumerable<Variant> Onnx(Variant torchSharp, nn.Module model, IReadOnlyList<long> inputShape, IOnnxEngine? engine, List<IDisposable> owned, TextWriter log)
    {
        if (engine is null)
        {
            return [];
        }

        byte[] onnx;
        try
        {
            onnx = OnnxExport.ToBytes(model, inputShape);
        }
        catch (NotSupportedException error)
        {
            log.WriteLine($"Not run in {engine.Name}: {torchSharp.Row.Arm} at point {torchSharp.Row.Point}, {torchSharp.Kind.Name()}. {error.Message}");
            return [];
        }

        var session = engine.Open(onnx, inputShape);
        owned.Add(session);
        return [torchSharp with { Bytes = onnx.Length, Session = session }];
    }

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
