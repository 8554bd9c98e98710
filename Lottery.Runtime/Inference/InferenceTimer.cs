using System.Diagnostics;
using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>How long an inference measurement runs.</summary>
/// <param name="Repeats">Rounds over all the models, interleaved; the median round is reported.</param>
/// <param name="LatencyCalls">Batch-1 forward calls a round times (each call one sample).</param>
/// <param name="ThroughputBatches">Batches of <paramref name="BatchSize"/> a round times.</param>
/// <param name="BatchSize">The throughput batch.</param>
public sealed record InferenceTiming(int Repeats = 7, int LatencyCalls = 300, int ThroughputBatches = 6, int BatchSize = 256);

/// <summary>One model's measured speed.</summary>
/// <param name="LatencyMicroseconds">Median microseconds of one batch-1 forward call.</param>
/// <param name="SamplesPerSecond">Median samples per second at the throughput batch.</param>
public sealed record InferenceSpeed(double LatencyMicroseconds, double SamplesPerSecond);

/// <summary>
/// Measures inference speed of several models side by side in one process: rounds over all the models in turn (so a
/// slower moment of a shared machine hits every model alike), each round timing batch-1 calls and full batches, in
/// evaluation mode without gradients; the median round of each model is reported. Timing belongs here and in
/// benchmarks, never in unit tests.
/// </summary>
public static class InferenceTimer
{
    /// <summary>Measures every model on <paramref name="samples"/> (at least one batch of them; any shape the models take).</summary>
    /// <exception cref="ArgumentException">Fewer samples than the batch, or no models.</exception>
    public static IReadOnlyList<InferenceSpeed> Measure(IReadOnlyList<nn.Module<Tensor, Tensor>> models, Tensor samples, InferenceTiming? timing = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(samples);
        timing ??= new InferenceTiming();
        if (models.Count == 0)
        {
            throw new ArgumentException("No models to measure.", nameof(models));
        }

        if (samples.shape[0] < timing.BatchSize)
        {
            throw new ArgumentException($"{samples.shape[0]} samples are fewer than one batch of {timing.BatchSize}.", nameof(samples));
        }

        using var noGrad = no_grad();
        var modes = models.Select(m => m.training).ToList();
        foreach (var model in models)
        {
            model.eval();
        }

        try
        {
            using var scope = NewDisposeScope();
            var singles = Enumerable.Range(0, (int)Math.Min(16, samples.shape[0])).Select(i => samples.narrow(0, i, 1).contiguous()).ToList();
            var batch = samples.narrow(0, 0, timing.BatchSize).contiguous();
            var latencies = models.Select(_ => new List<double>()).ToList();
            var throughputs = models.Select(_ => new List<double>()).ToList();

            // One warm-up round (first calls allocate and pick kernels), then the measured ones.
            for (var round = -1; round < timing.Repeats; round++)
            {
                for (var m = 0; m < models.Count; m++)
                {
                    var clock = Stopwatch.StartNew();
                    for (var call = 0; call < timing.LatencyCalls; call++)
                    {
                        models[m].call(singles[call % singles.Count]).Dispose();
                    }

                    var latency = clock.Elapsed.TotalMicroseconds / timing.LatencyCalls;
                    clock.Restart();
                    for (var b = 0; b < timing.ThroughputBatches; b++)
                    {
                        models[m].call(batch).Dispose();
                    }

                    var throughput = timing.BatchSize * timing.ThroughputBatches / clock.Elapsed.TotalSeconds;
                    if (round >= 0)
                    {
                        latencies[m].Add(latency);
                        throughputs[m].Add(throughput);
                    }
                }
            }

            return models.Select((_, m) => new InferenceSpeed(Median(latencies[m]), Median(throughputs[m]))).ToList();
        }
        finally
        {
            for (var m = 0; m < models.Count; m++)
            {
                models[m].train(modes[m]);
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
