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
}
