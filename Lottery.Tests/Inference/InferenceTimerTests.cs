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
    public void Measure_restores_the_modes_of_the_models_and_refuses_fewer_samples_than_a_batch()
    {
        using var first = nn.Linear(8, 4);
        using var second = nn.Sequential(nn.Linear(8, 4), nn.ReLU());
        first.eval();
        second.train();
        using var samples = rand(32, 8);
        var speeds = InferenceTimer.Measure([first, second], samples, new InferenceTiming(Repeats: 1, LatencyCalls: 3, ThroughputBatches: 1, BatchSize: 16));
        Assert.Equal(2, speeds.Count);
        Assert.True(second.training, "the model's training mode is put back");
        Assert.False(first.training, "a model in evaluation mode stays in it");
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

    [Fact]
    public void Each_speed_is_the_median_of_the_measured_rounds_and_the_warm_up_round_counts_for_nothing()
    {
        // A clock that moves only when an engine runs, by what the test says each call takes in each round: the warm-up
        // round is slow, the three measured ones take 30, 10 and 20 µs a batch-1 call for the first engine (twice that
        // for the second), and 4, 2 and 8 ms a batch of 8 (twice that for the second).
        var clock = new ManualClock();
        long[] singleMicroseconds = [1_000_000, 30, 10, 20];
        long[] batchMicroseconds = [1_000_000, 4_000, 2_000, 8_000];
        var timing = new InferenceTiming(Repeats: 3, LatencyCalls: 4, ThroughputBatches: 2, BatchSize: 8);
        using var samples = zeros(8, 3);

        var speeds = InferenceTimer.Measure(
            [_ => new TimedEngine(clock, singleMicroseconds, batchMicroseconds, timing, factor: 1), _ => new TimedEngine(clock, singleMicroseconds, batchMicroseconds, timing, factor: 2)],
            samples,
            timing,
            clock);

        // Medians of {30, 10, 20} µs and of {16 samples in 8, 4 and 16 ms} = {2,000, 4,000, 1,000} a second; counted with the
        // warm-up they would be 25 µs and 1,500 a second.
        Assert.Equal(20, speeds[0].LatencyMicroseconds, 9);
        Assert.Equal(2_000, speeds[0].SamplesPerSecond, 6);
        Assert.Equal(40, speeds[1].LatencyMicroseconds, 9);
        Assert.Equal(1_000, speeds[1].SamplesPerSecond, 6);
    }

    /// <summary>A clock in microseconds that only the test moves.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Microseconds { get; set; }

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp() => Microseconds;
    }

    /// <summary>An engine whose calls move the clock by the round's given time, times <paramref name="factor"/>; it tells rounds apart by counting its calls.</summary>
    private sealed class TimedEngine(ManualClock clock, long[] single, long[] batch, InferenceTiming timing, int factor) : IInferenceEngine
    {
        private int singles;
        private int batches;

        public void Single(int index) => clock.Microseconds += factor * single[singles++ / timing.LatencyCalls];

        public void Batch() => clock.Microseconds += factor * batch[batches++ / timing.ThroughputBatches];

        public void Dispose()
        {
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
