using System.Globalization;
using Lottery.Compaction;
using Lottery.Groups;
using Lottery.Inference;
using Lottery.Masks;
using Lottery.Measures;
using static TorchSharp.torch;

namespace Lottery.Examples.Commands;

/// <summary>
/// What compaction in place buys on a model Lottery did not write: TorchVision's ResNet-18 (10 classes) on 3x32x32 inputs,
/// dense, masked and compacted at 50% and 25% of every group's channels (pruned layer by layer by magnitude), side by side
/// in one process: parameters, multiply-adds, batch-1 latency and batch-64 throughput, and how far the compacted model's
/// outputs are from the masked model's.
/// </summary>
internal static class CompactionBenchmark
{
    public static int Run(int repeats, TextWriter output)
    {
        var timing = new InferenceTiming(Repeats: repeats, LatencyCalls: 40, ThroughputBatches: 3, BatchSize: 64);
        using var generator = new Generator(7);
        using var samples = randn([256, 3, 32, 32], generator: generator);
        using var example = samples.narrow(0, 0, 1).clone();

        // The groups do not depend on the image size: traced once, on an 8x8 image (a trace runs the model once per unit).
        using var small = randn([1, 3, 8, 8], generator: generator);
        output.WriteLine($"TorchVision's ResNet-18 (10 classes) on 3x32x32 inputs; {get_num_threads()} threads; LibTorch's {Native.Numerics.CpuCapability} kernels; {repeats} rounds of {timing.LatencyCalls} batch-1 calls and {timing.ThroughputBatches} batches of {timing.BatchSize}, interleaved; channels pruned per group by magnitude (L1 of each channel's slices), then compacted in place.");

        var models = new List<(string Name, nn.Module<Tensor, Tensor> Model)>();
        try
        {
            manual_seed(1);
            var dense = TorchSharp.torchvision.models.resnet18(num_classes: 10);
            dense.eval();
            models.Add(("dense", dense));
            var groups = DependencyGroups.Trace(dense, small);
            var differences = new Dictionary<string, double>();
            foreach (var kept in new[] { 0.5, 0.25 })
            {
                var percent = (kept * 100).ToString("0", CultureInfo.InvariantCulture);
                var masked = Pruned(dense, groups, 1 - kept);
                models.Add(($"masked, {percent}% of the channels", masked));
                var compacted = Pruned(dense, groups, 1 - kept);
                Compactor.CompactInPlace(compacted, groups, check: example);
                compacted.eval();
                using (no_grad())
                using (var scope = NewDisposeScope())
                {
                    differences[$"compacted, {percent}% of the channels"] = (masked.call(samples) - compacted.call(samples)).abs().max().item<float>();
                }

                models.Add(($"compacted, {percent}% of the channels", compacted));
            }

            var speeds = InferenceTimer.Measure(models.Select(m => m.Model).ToList(), samples, timing);
            var denseMacs = MultiplyAdds.Probe(models[0].Model, example).DenseForward;
            output.WriteLine("| model | parameters | multiply-adds | batch-1 latency | batch-64 throughput | largest difference from masked |");
            output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            for (var i = 0; i < models.Count; i++)
            {
                var (name, model) = models[i];
                var parameters = model.parameters().Sum(p => p.numel());
                var macs = name.StartsWith("masked", StringComparison.Ordinal) ? denseMacs : MultiplyAdds.Probe(model, example).DenseForward;
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {name} | {parameters:N0} | {macs / 1e6:0.0} M ({(double)denseMacs / macs:0.00}x fewer) | {speeds[i].LatencyMicroseconds:N0} µs ({speeds[0].LatencyMicroseconds / speeds[i].LatencyMicroseconds:0.00}x) | {speeds[i].SamplesPerSecond:N0}/s ({speeds[i].SamplesPerSecond / speeds[0].SamplesPerSecond:0.00}x) | {(differences.TryGetValue(name, out var d) ? d.ToString("G3", CultureInfo.InvariantCulture) : string.Empty)} |"));
            }

            return 0;
        }
        finally
        {
            models.ForEach(m => m.Model.Dispose());
        }
    }

    // A copy of the dense model with 'rate' of each group's channels pruned by magnitude; its masks are applied to its weights.
    private static nn.Module<Tensor, Tensor> Pruned(nn.Module<Tensor, Tensor> dense, DependencyGroups groups, double rate)
    {
        var model = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        model.load_state_dict(dense.state_dict());
        model.eval();
        using var masks = MaskSet.Attach(model, new MaskOptions());
        masks.UseGroups(groups);
        GroupPruner.Prune(masks, groups, rate, PruningScope.Layerwise);
        masks.ApplyToWeights();
        return model;
    }
}
