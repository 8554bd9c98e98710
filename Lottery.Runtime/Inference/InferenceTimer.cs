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

/// <summary>The inputs an inference measurement runs on, prepared once: batch-1 samples it cycles through, and one throughput batch (contiguous CPU float tensors).</summary>
/// <param name="Singles">Samples of batch size 1.</param>
/// <param name="Batch">The throughput batch.</param>
public sealed record InferenceInputs(IReadOnlyList<Tensor> Singles, Tensor Batch);

/// <summary>
/// One way of running a model that <see cref="InferenceTimer"/> measures: a TorchSharp module, or another engine (ONNX
/// Runtime) that converted <see cref="InferenceInputs"/> to its own inputs when it was made. Disposed after measuring.
/// </summary>
public interface IInferenceEngine : IDisposable
{
    /// <summary>Runs the model on single sample <paramref name="index"/> of <see cref="InferenceInputs.Singles"/>.</summary>
    void Single(int index);

    /// <summary>Runs the model on <see cref="InferenceInputs.Batch"/>.</summary>
    void Batch();
}

/// <summary>
/// Measures inference speed of several models side by side in one process: rounds over all the models in turn (so a
/// slower moment of a shared machine hits every model alike), each round timing batch-1 calls and full batches, in
/// evaluation mode without gradients; the median round of each model is reported. Timing belongs here and in
/// benchmarks, never in unit tests.
/// </summary>
public static class InferenceTimer
{
    /// <summary>Measures every model on <paramref name="samples"/> (at least one batch of them; any shape the models take), in evaluation mode without gradients.</summary>
    /// <exception cref="ArgumentException">Fewer samples than the batch, or no models.</exception>
    public static IReadOnlyList<InferenceSpeed> Measure(IReadOnlyList<nn.Module<Tensor, Tensor>> models, Tensor samples, InferenceTiming? timing = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        return Measure(models.Select(Engine).ToList(), samples, timing);
    }

    /// <summary>The engine that runs a TorchSharp module, for <see cref="Measure(IReadOnlyList{Func{InferenceInputs, IInferenceEngine}}, Tensor, InferenceTiming?, TimeProvider?)"/>.</summary>
    public static Func<InferenceInputs, IInferenceEngine> Engine(nn.Module<Tensor, Tensor> model) => inputs => new ModuleEngine(model, inputs);

    /// <summary>
    /// Measures every engine, each made by its factory from the same prepared inputs (the first samples, at most 16 of
    /// them one at a time, and the first batch), side by side: rounds over all the engines in turn, the median round reported.
    /// </summary>
    /// <param name="engines">Makes each engine.</param>
    /// <param name="samples">The samples, at least one batch of them.</param>
    /// <param name="timing">How long to measure (default: <see cref="InferenceTiming"/>'s).</param>
    /// <param name="time">The clock (default: <see cref="TimeProvider.System"/>, the high-resolution timestamp).</param>
    /// <exception cref="ArgumentException">Fewer samples than the batch, or no engines.</exception>
    public static IReadOnlyList<InferenceSpeed> Measure(IReadOnlyList<Func<InferenceInputs, IInferenceEngine>> engines, Tensor samples, InferenceTiming? timing = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentNullException.ThrowIfNull(samples);
        timing ??= new InferenceTiming();
        time ??= TimeProvider.System;
        if (engines.Count == 0)
        {
            throw new ArgumentException("No models to measure.", nameof(engines));
        }

        if (samples.shape[0] < timing.BatchSize)
        {
            throw new ArgumentException($"{samples.shape[0]} samples are fewer than one batch of {timing.BatchSize}.", nameof(samples));
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var singles = Enumerable.Range(0, (int)Math.Min(16, samples.shape[0])).Select(i => samples.narrow(0, i, 1).contiguous()).ToList();
        var inputs = new InferenceInputs(singles, samples.narrow(0, 0, timing.BatchSize).contiguous());
        var made = new List<IInferenceEngine>();
        try
        {
            foreach (var factory in engines)
            {
                made.Add(factory(inputs));
            }

            var latencies = made.Select(_ => new List<double>()).ToList();
            var throughputs = made.Select(_ => new List<double>()).ToList();

            // One warm-up round (first calls allocate and pick kernels), then the measured ones.
            for (var round = -1; round < timing.Repeats; round++)
            {
                for (var m = 0; m < made.Count; m++)
                {
                    var start = time.GetTimestamp();
                    for (var call = 0; call < timing.LatencyCalls; call++)
                    {
                        made[m].Single(call % singles.Count);
                    }

                    var latency = time.GetElapsedTime(start).TotalMicroseconds / timing.LatencyCalls;
                    start = time.GetTimestamp();
                    for (var b = 0; b < timing.ThroughputBatches; b++)
                    {
                        made[m].Batch();
                    }

                    var throughput = timing.BatchSize * timing.ThroughputBatches / time.GetElapsedTime(start).TotalSeconds;
                    if (round >= 0)
                    {
                        latencies[m].Add(latency);
                        throughputs[m].Add(throughput);
                    }
                }
            }

            return made.Select((_, m) => new InferenceSpeed(Median(latencies[m]), Median(throughputs[m]))).ToList();
        }
        finally
        {
            // In reverse: a module measured twice gets back the mode it had before the first of its engines.
            foreach (var engine in Enumerable.Reverse(made))
            {
                engine.Dispose();
            }
        }
    }

    /// <summary>A TorchSharp module in evaluation mode; its mode is put back when disposed.</summary>
    private sealed class ModuleEngine : IInferenceEngine
    {
        private readonly nn.Module<Tensor, Tensor> model;
        private readonly InferenceInputs inputs;
        private readonly bool training;

        public ModuleEngine(nn.Module<Tensor, Tensor> model, InferenceInputs inputs)
        {
            this.model = model;
            this.inputs = inputs;
            training = model.training;
            model.eval();
        }

        // Each call in a scope of its own, so that the intermediate tensors of a forward pass end with it.
        public void Single(int index)
        {
            using var scope = NewDisposeScope();
            model.call(inputs.Singles[index]);
        }

        public void Batch()
        {
            using var scope = NewDisposeScope();
            model.call(inputs.Batch);
        }

        public void Dispose() => model.train(training);
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count).</summary>
    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
