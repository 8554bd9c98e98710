using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>One way of running the benchmark's network, at one density.</summary>
/// <param name="Density">Fraction of each Linear layer's weights kept.</param>
/// <param name="Network">
/// <c>TorchSharp</c>: the network itself, dense Linear layers holding the zeros; <c>SparseLinear</c>: after
/// <see cref="SparseInference.Convert"/>; <c>SparseSequential</c>: after <see cref="SparseInference.Convert"/> and
/// <see cref="SparseInference.Fuse"/>, the whole network one module.
/// </param>
/// <param name="Path">The path the sparse modules were given (<see cref="SparsePath.Dense"/> for the TorchSharp network).</param>
/// <param name="LatencyMicroseconds">Median time of one forward call on a single sample, in microseconds.</param>
/// <param name="SamplesPerSecond">Samples per second at the throughput batch size, from the median time of a call.</param>
/// <param name="Choices">For <see cref="SparsePath.Auto"/>, the path each sparse module chose at batch 1 and at the throughput batch size; empty otherwise.</param>
public sealed record SparseInferenceFigures(double Density, string Network, SparsePath Path, double LatencyMicroseconds, double SamplesPerSecond, string Choices);

/// <summary>What <see cref="SparseInferenceBenchmark.Measure"/> found, with the settings it ran under.</summary>
/// <param name="Threads">LibTorch's thread count during the measurement (<c>torch.get_num_threads()</c>); the sparse kernels run on the calling thread.</param>
/// <param name="LatencyCalls">Timed single-sample calls per path and density.</param>
/// <param name="ThroughputCalls">Timed batch calls per path and density.</param>
/// <param name="ThroughputBatch">Samples per batch call.</param>
/// <param name="Figures">One entry per density and network.</param>
public sealed record SparseInferenceBenchmarkResult(int Threads, int LatencyCalls, int ThroughputCalls, int ThroughputBatch, IReadOnlyList<SparseInferenceFigures> Figures)
{
    /// <summary>The <see cref="SparseInferenceFigures.Network"/> of the dense network the others are compared with.</summary>
    public const string TorchSharpNetwork = "TorchSharp";

    /// <summary>A plain-text table of the figures, with each sparse path's speed-up over dense.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"784-300-100-10 MLP, {Threads} thread(s); batch-1 latency: median of {LatencyCalls} calls; batch-{ThroughputBatch} throughput: median of {ThroughputCalls} calls.");
        text.AppendLine("density  network           path    batch-1 us  speed-up  samples/s (batch)  speed-up  auto's choices");
        foreach (var figures in Figures)
        {
            var dense = Figures.First(f => f.Density == figures.Density && f.Network == TorchSharpNetwork);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{figures.Density,7:P0}  {figures.Network,-16}  {figures.Path,-6}  {figures.LatencyMicroseconds,10:F1}  {dense.LatencyMicroseconds / figures.LatencyMicroseconds,7:F2}x  {figures.SamplesPerSecond,17:N0}  {figures.SamplesPerSecond / dense.SamplesPerSecond,7:F2}x  {figures.Choices}");
        }

        return text.ToString();
    }
}

/// <summary>
/// Times dense TorchSharp against the sparse kernel and <see cref="SparsePath.Auto"/> on a 784-300-100-10 MLP (ReLU
/// between layers) whose Linear weights are randomly masked to a given density, side by side in this process. A
/// measurement to run by hand or from a command, not a test: its figures depend on the machine and its load.
/// </summary>
public static class SparseInferenceBenchmark
{
    /// <summary>The densities measured when none are given: 7%, where LibTorch's sparse COO product was measured 30 times slower than dense, and one on each side.</summary>
    public static IReadOnlyList<double> DefaultDensities { get; } = [0.07, 0.02, 0.2];

    /// <summary>
    /// Measures, for each density, batch-1 latency and batch-<paramref name="throughputBatch"/> throughput of the dense
    /// network and of its sparse conversions: layer by layer (<see cref="SparseLinear"/>) and fused into one
    /// <see cref="SparseSequential"/>, each forced to the sparse kernel and on <see cref="SparsePath.Auto"/>. The
    /// networks run interleaved, call by call, so that load from elsewhere falls on all alike. Uses LibTorch's current
    /// thread count (set it with <c>torch.set_num_threads</c> first); LibTorch's global random state is left alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or a density is outside (0, 1].</exception>
    public static SparseInferenceBenchmarkResult Measure(
        IReadOnlyList<double>? densities = null, int latencyCalls = 2000, int throughputCalls = 100, int throughputBatch = 256, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latencyCalls, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(throughputCalls, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(throughputBatch, 1);
        densities ??= DefaultDensities;
        foreach (var density in densities)
        {
            if (!(density is > 0 and <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(densities), density, "A density is the fraction of weights kept, in (0, 1].");
            }
        }

        var figures = new List<SparseInferenceFigures>();
        using var generator = new Generator((ulong)seed);
        foreach (var density in densities)
        {
            using var dense = MaskedMlp(density, generator);
            using var single = randn([1, 784], generator: generator);
            using var batch = randn([throughputBatch, 784], generator: generator);
            var networks = new List<(string Network, SparsePath Path, Sequential Model)> { (SparseInferenceBenchmarkResult.TorchSharpNetwork, SparsePath.Dense, dense) };
            foreach (var path in (SparsePath[])[SparsePath.Sparse, SparsePath.Auto])
            {
                var layers = SparseInference.Convert(dense, maxDensity: 1, path);
                networks.Add((nameof(SparseLinear), path, layers));
                networks.Add((nameof(SparseSequential), path, SparseInference.Fuse(layers, path)));
            }

            var models = networks.Select(n => n.Model).ToArray();
            var latencies = MedianMicroseconds(models, single, latencyCalls);
            var batchTimes = MedianMicroseconds(models, batch, throughputCalls);
            for (var index = 0; index < networks.Count; index++)
            {
                var (network, path, model) = networks[index];
                var choices = path == SparsePath.Auto ? $"1: {Choices(model, 1)}; {throughputBatch}: {Choices(model, throughputBatch)}" : string.Empty;
                figures.Add(new(density, network, path, latencies[index], throughputBatch * 1e6 / batchTimes[index], choices));
            }

            // The converted networks share their sparse layers and the dense network's ReLUs: dispose the layers once.
            foreach (var layer in networks.Skip(1).Where(n => n.Network == nameof(SparseLinear)).SelectMany(n => n.Model.children()).OfType<SparseLinear>())
            {
                layer.Dispose();
            }
        }

        return new SparseInferenceBenchmarkResult(get_num_threads(), latencyCalls, throughputCalls, throughputBatch, figures);
    }

    /// <summary>784-300-100-10 with ReLU between, weights uniform in ±1/sqrt(in), each layer keeping exactly round(density * size) random weights.</summary>
    private static Sequential MaskedMlp(double density, Generator generator)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int[] widths = [784, 300, 100, 10];
        using var noGrad = no_grad();
        for (var index = 0; index < widths.Length - 1; index++)
        {
            var layer = nn.Linear(widths[index], widths[index + 1]);
            using var scope = NewDisposeScope();
            var size = layer.weight!.numel();
            var kept = randperm(size, generator: generator).lt((long)Math.Round(density * size)).reshape(layer.weight.shape);
            var values = (rand(layer.weight.shape, generator: generator) * 2 - 1) / Math.Sqrt(widths[index]);
            layer.weight.copy_(values * kept);
            layers.Add(($"fc{index + 1}", layer));
            if (index < widths.Length - 2)
            {
                layers.Add(($"relu{index + 1}", nn.ReLU()));
            }
        }

        var network = nn.Sequential(layers);
        network.eval();
        return network;
    }

    /// <summary>Median time of a forward call of each network on <paramref name="input"/>, after a warm-up, calls interleaved.</summary>
    private static double[] MedianMicroseconds(Sequential[] networks, Tensor input, int calls)
    {
        var times = networks.Select(_ => new double[calls]).ToArray();
        for (var call = -Math.Max(5, calls / 10); call < calls; call++)
        {
            for (var index = 0; index < networks.Length; index++)
            {
                var start = Stopwatch.GetTimestamp();
                networks[index].forward(input).Dispose();
                var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                if (call >= 0)
                {
                    times[index][call] = elapsed;
                }
            }
        }

        return times.Select(t => t.Order().ElementAt(calls / 2)).ToArray();
    }

    private static string Choices(Sequential network, long batchSize) =>
        string.Join(" ", network.children().Select(module => module switch
        {
            SparseLinear layer => layer.ChosenPath(batchSize)?.ToString() ?? "-",
            SparseSequential chain => chain.ChosenPath(batchSize)?.ToString() ?? "-",
            _ => null,
        }).OfType<string>());
}
