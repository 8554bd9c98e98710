using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Training.Sparse;

/// <summary>
/// Training steps of a multilayer perceptron (LeNet-300-100's layers: 784-300-100-10, ReLU, cross-entropy, Adam) with
/// every layer's weights masked at random to each density, on the dense masked path (the product by the masked weight,
/// the gradient masked after backward, as masked layers train) and on the sparse path (<see cref="SparseLinear"/>), with
/// the dense weight as the parameter or the surviving weights alone, side by side in one process: rounds over every
/// model in turn, the median round reported. The dense path and the sparse one are also timed without the optimizer's
/// step, which shows what the products alone gain.
/// </summary>
public static class SparseTrainingBenchmark
{
    /// <summary>One density's speeds, in samples per second.</summary>
    /// <param name="Density">The share of each layer's weights kept.</param>
    /// <param name="Dense">The dense masked path.</param>
    /// <param name="Sparse">The sparse path with the dense weight as the parameter (the optimizer steps over every entry).</param>
    /// <param name="Surviving">The sparse path with the surviving weights alone as the parameter (the optimizer steps over them only).</param>
    /// <param name="DenseProducts">The dense masked path's forward and backward passes alone, without the optimizer's step.</param>
    /// <param name="SparseProducts">The sparse path's forward and backward passes alone (surviving weights as the parameter).</param>
    public sealed record Row(double Density, double Dense, double Sparse, double Surviving, double DenseProducts, double SparseProducts);

    /// <summary>The measured rows, and what was measured.</summary>
    public sealed record Result(IReadOnlyList<Row> Rows, int Batch, int Steps, int Repeats, IReadOnlyList<int> Widths)
    {
        /// <summary>A Markdown table of the rows, with a line saying what was measured.</summary>
        public string Describe()
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"Training steps of a {string.Join("-", Widths)} perceptron (ReLU, cross-entropy, Adam), batch {Batch}, {Steps} steps a round, {Repeats} rounds interleaved, median; {get_num_threads()} threads; {Native.Numerics.NameOf(Native.Numerics.Profile)} numerics, LibTorch's {Native.Numerics.CpuCapability} kernels.\n\n");
            text.Append("| weights kept | dense masked | sparse, dense weight | sparse, surviving weights | without the optimizer's step: dense masked | sparse |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (var row in Rows)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {row.Density * 100:0.#}% | {row.Dense:N0}/s | {row.Sparse:N0}/s ({row.Sparse / row.Dense:0.00}x) | {row.Surviving:N0}/s ({row.Surviving / row.Dense:0.00}x) | {row.DenseProducts:N0}/s | {row.SparseProducts:N0}/s ({row.SparseProducts / row.DenseProducts:0.00}x) |\n");
            }

            return text.ToString();
        }
    }

    /// <summary>Measures each density of <paramref name="densities"/> (each in (0, 1]).</summary>
    public static Result Measure(IReadOnlyList<double>? densities = null, int batch = 60, int steps = 100, int repeats = 5)
    {
        densities ??= [0.5, 0.2, 0.07, 0.02];
        int[] widths = [784, 300, 100, 10];
        using var scope = NewDisposeScope();
        using var generator = new Generator(2026);
        var inputs = randn([batch, widths[0]], generator: generator);
        var labels = randint(0, widths[^1], [batch], generator: generator);
        var runs = new List<(Func<long> Step, List<double> Rates)>();
        foreach (var density in densities)
        {
            var layers = Enumerable.Range(0, widths.Length - 1).Select(i =>
            {
                var mask = rand([widths[i + 1], widths[i]], generator: generator).lt(density).to(ScalarType.Float32);
                var weight = new TorchSharp.Modules.Parameter(randn([widths[i + 1], widths[i]], generator: generator) * mask / Math.Sqrt(widths[i]));
                var bias = new TorchSharp.Modules.Parameter(zeros(widths[i + 1]));
                return (Mask: mask, Weight: weight, Bias: bias, Pattern: SparsePattern.FromMask(mask));
            }).ToList();
            // Dense masked, sparse with the dense weight, sparse with the surviving weights; then the first and last without the step.
            foreach (var (path, stepping) in new[] { (Path.Dense, true), (Path.SparseDenseWeight, true), (Path.SparseSurviving, true), (Path.Dense, false), (Path.SparseSurviving, false) })
            {
                var weights = layers.Select(l => new TorchSharp.Modules.Parameter(path == Path.SparseSurviving ? l.Pattern.Gather(l.Weight) : l.Weight.detach().clone())).ToList();
                var biases = layers.Select(l => new TorchSharp.Modules.Parameter(l.Bias.detach().clone())).ToList();
                var optimizer = optim.Adam([.. weights, .. biases], lr: 1e-3);
                long Step()
                {
                    using var stepScope = NewDisposeScope();
                    optimizer.zero_grad();
                    var x = inputs;
                    for (var i = 0; i < layers.Count; i++)
                    {
                        x = path == Path.Dense ? nn.functional.linear(x, weights[i] * layers[i].Mask, biases[i]) : SparseLinear.Forward(x, weights[i], biases[i], layers[i].Pattern);
                        if (i < layers.Count - 1)
                        {
                            x = nn.functional.relu(x);
                        }
                    }

                    nn.functional.cross_entropy(x, labels).backward();
                    if (path == Path.Dense)
                    {
                        for (var i = 0; i < layers.Count; i++)
                        {
                            weights[i].grad!.mul_(layers[i].Mask);
                        }
                    }

                    if (stepping)
                    {
                        optimizer.step();
                    }

                    return batch;
                }

                runs.Add((Step, []));
            }
        }

        for (var round = -1; round < repeats; round++)
        {
            foreach (var (step, rates) in runs)
            {
                var clock = Stopwatch.StartNew();
                long samples = 0;
                for (var s = 0; s < steps; s++)
                {
                    samples += step();
                }

                if (round >= 0)
                {
                    rates.Add(samples / clock.Elapsed.TotalSeconds);
                }
            }
        }

        double Rate(int d, int run) => Inference.InferenceTimer.Median(runs[(5 * d) + run].Rates);
        var rows = densities.Select((density, d) => new Row(density, Rate(d, 0), Rate(d, 1), Rate(d, 2), Rate(d, 3), Rate(d, 4))).ToList();
        return new Result(rows, batch, steps, repeats, widths);
    }

    private enum Path
    {
        Dense,
        SparseDenseWeight,
        SparseSurviving,
    }
}
