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
/// <param name="LatencyMicroseconds">Median microseconds of one forward call on a single sample (<see cref="InferenceTimer"/>).</param>
/// <param name="SamplesPerSecond">Median samples per second at the throughput batch size (<see cref="InferenceTimer"/>).</param>
/// <param name="Choices">For <see cref="SparsePath.Auto"/>, the path each sparse module chose at batch 1 and at the throughput batch size; empty otherwise.</param>
public sealed record SparseInferenceFigures(double Density, string Network, SparsePath Path, double LatencyMicroseconds, double SamplesPerSecond, string Choices);

/// <summary>What <see cref="SparseInferenceBenchmark.Measure"/> found, with the settings it ran under.</summary>
/// <param name="Threads">LibTorch's thread count during the measurement (<c>torch.get_num_threads()</c>); the sparse kernels run on the calling thread.</param>
/// <param name="Timing">How long each network was timed.</param>
/// <param name="Figures">One entry per density and network.</param>
public sealed record SparseInferenceBenchmarkResult(int Threads, InferenceTiming Timing, IReadOnlyList<SparseInferenceFigures> Figures)
{
    /// <summary>The <see cref="SparseInferenceFigures.Network"/> of the dense network the others are compared with.</summary>
    public const string TorchSharpNetwork = "TorchSharp";

    /// <summary>A plain-text table of the figures, with each sparse path's speed-up over dense.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"784-300-100-10 MLP, {Threads} thread(s); {Timing.Repeats} rounds over the networks in turn, each {Timing.LatencyCalls} batch-1 calls and {Timing.ThroughputBatches} batches of {Timing.BatchSize}; medians of the rounds.");
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
    /// Measures, for each density, batch-1 latency and batch throughput of the dense
    /// network and of its sparse conversions: layer by layer (<see cref="SparseLinear"/>) and fused into one
    /// <see cref="SparseSequential"/>, each forced to the sparse kernel and on <see cref="SparsePath.Auto"/>, side by side
    /// with <see cref="InferenceTimer"/> (default timing: <see cref="InferenceTiming"/>'s). Uses LibTorch's current
    /// thread count (set it with <c>torch.set_num_threads</c> first); LibTorch's global random state is left alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or a density is outside (0, 1].</exception>
    public static SparseInferenceBenchmarkResult Measure(IReadOnlyList<double>? densities = null, InferenceTiming? timing = null, int seed = 1)
    {
        timing ??= new InferenceTiming();
        ArgumentOutOfRangeException.ThrowIfLessThan(timing.Repeats, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timing.LatencyCalls, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timing.ThroughputBatches, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timing.BatchSize, 1);
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
            using var samples = randn([timing.BatchSize, 784], generator: generator);
            var networks = new List<(string Network, SparsePath Path, Sequential Model)> { (SparseInferenceBenchmarkResult.TorchSharpNetwork, SparsePath.Dense, dense) };
            foreach (var path in (SparsePath[])[SparsePath.Sparse, SparsePath.Auto])
            {
                var layers = SparseInference.Convert(dense, maxDensity: 1, path);
                networks.Add((nameof(SparseLinear), path, layers));
                networks.Add((nameof(SparseSequential), path, SparseInference.Fuse(layers, path)));
            }

            var speeds = InferenceTimer.Measure(networks.Select(n => (nn.Module<Tensor, Tensor>)n.Model).ToList(), samples, timing);
            for (var index = 0; index < networks.Count; index++)
            {
                var (network, path, model) = networks[index];
                var choices = path == SparsePath.Auto ? $"1: {Choices(model, 1)}; {timing.BatchSize}: {Choices(model, timing.BatchSize)}" : string.Empty;
                figures.Add(new(density, network, path, speeds[index].LatencyMicroseconds, speeds[index].SamplesPerSecond, choices));
            }

            // The converted networks share their sparse layers and the dense network's ReLUs: dispose the layers once.
            foreach (var layer in networks.Skip(1).Where(n => n.Network == nameof(SparseLinear)).SelectMany(n => n.Model.children()).OfType<SparseLinear>())
            {
                layer.Dispose();
            }
        }

        return new SparseInferenceBenchmarkResult(get_num_threads(), timing, figures);
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

    private static string Choices(Sequential network, long batchSize) =>
        string.Join(" ", network.children().Select(module => module switch
        {
            SparseLinear layer => layer.ChosenPath(batchSize)?.ToString() ?? "-",
            SparseSequential chain => chain.ChosenPath(batchSize)?.ToString() ?? "-",
            _ => null,
        }).OfType<string>());
}
