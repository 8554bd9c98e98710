using Lottery.Data;
using Lottery.Inference;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Tests.Inference;

public sealed class InferenceTimerTests
{
    [Fact]
    public void Accuracy_counts_the_samples_whose_largest_output_is_the_label()
    {
        // An identity "model": the inputs are the outputs, so the prediction is each row's largest entry.
        using var model = nn.Identity();
        using var inputs = tensor(new float[,] { { 0.1f, 0.9f }, { 0.8f, 0.2f }, { 0.3f, 0.7f }, { 0.6f, 0.4f }, { 0.2f, 0.8f } });
        using var labels = tensor(new long[] { 1, 0, 0, 0, 0 });
        using var test = new TensorDataSet("test", inputs, labels, 2);
        Assert.Equal(3.0 / 5, Trainer.Evaluate(model, test).Accuracy);
    }

    [Fact]
    public void Measure_gives_one_speed_per_model_and_restores_their_modes()
    {
        using var first = nn.Linear(8, 4);
        using var second = nn.Sequential(nn.Linear(8, 4), nn.ReLU());
        second.train();
        using var samples = rand(32, 8);
        var speeds = InferenceTimer.Measure([first, second], samples, new InferenceTiming(Repeats: 1, LatencyCalls: 3, ThroughputBatches: 1, BatchSize: 16));
        Assert.Equal(2, speeds.Count);
        Assert.All(speeds, s => Assert.True(s.LatencyMicroseconds > 0 && s.SamplesPerSecond > 0));
        Assert.True(second.training, "the model's training mode is put back");
        Assert.Throws<ArgumentException>(() => InferenceTimer.Measure([first], samples, new InferenceTiming(BatchSize: 64)));
    }

    [Fact]
    public void Measure_runs_each_engine_on_the_prepared_inputs_the_timed_number_of_times_and_disposes_it()
    {
        using var samples = arange(40 * 3, dtype: ScalarType.Float32).reshape(40, 3);
        var timing = new InferenceTiming(Repeats: 2, LatencyCalls: 20, ThroughputBatches: 3, BatchSize: 8);
        var engines = new List<CountingEngine>();
        var speeds = InferenceTimer.Measure(
            [inputs => Made(new CountingEngine(inputs)), inputs => Made(new CountingEngine(inputs))],
            samples,
            timing);

        Assert.Equal(2, speeds.Count);
        foreach (var engine in engines)
        {
            // A warm-up round and two measured ones; each round's batch-1 calls cycle through the first 16 samples.
            Assert.Equal(Enumerable.Repeat(Enumerable.Range(0, 20).Select(i => i % 16), 3).SelectMany(r => r), engine.Singles);
            Assert.Equal(3 * 3, engine.Batches);
            Assert.Equal(16, engine.SingleCount);
            Assert.Equal(new long[] { 1, 3 }, engine.SingleShape);
            Assert.Equal(15f, engine.SingleFifth);
            Assert.Equal(new long[] { 8, 3 }, engine.BatchShape);
            Assert.True(engine.Disposed);
        }

        IInferenceEngine Made(CountingEngine engine)
        {
            engines.Add(engine);
            return engine;
        }
    }

    /// <summary>Counts its calls; what it sees of the inputs it reads when made, since the timer frees them afterwards.</summary>
    private sealed class CountingEngine(InferenceInputs inputs) : IInferenceEngine
    {
        public int SingleCount { get; } = inputs.Singles.Count;

        public long[] SingleShape { get; } = inputs.Singles[5].shape;

        public long[] BatchShape { get; } = inputs.Batch.shape;

        public List<int> Singles { get; } = [];

        public int Batches { get; private set; }

        public bool Disposed { get; private set; }

        /// <summary>The first value of single sample 5, read while the inputs are alive (sample 5 of arange(120) in rows of 3 starts at 15).</summary>
        public float SingleFifth { get; } = inputs.Singles[5][0, 0].item<float>();

        public void Single(int index) => Singles.Add(index);

        public void Batch() => Batches++;

        public void Dispose() => Disposed = true;
    }
}
