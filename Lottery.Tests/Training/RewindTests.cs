using Lottery.Experiments;
using Lottery.Masks;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Tests.Training;

public class RewindTests
{
    /// <summary>Records the weights after each epoch and just after each pruning event.</summary>
    private sealed class WeightRecorder(Func<Dictionary<string, float[]>> read) : ITrainingHooks
    {
        public Dictionary<(int Round, int Epoch), Dictionary<string, float[]>> AfterEpochs { get; } = [];

        public void AfterEpoch(EpochMetrics metrics) => AfterEpochs[(metrics.Round, metrics.Epoch)] = read();
    }

    private static Dictionary<string, float[]> Weights(MaskSet masks) =>
        masks.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Parameter));

    private static Dictionary<string, float[]> Masks(MaskSet masks) =>
        masks.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Mask));

    /// <summary>Surviving entries equal the reference bit for bit; pruned entries are zero.</summary>
    private static void AssertRewound(Dictionary<string, float[]> weights, Dictionary<string, float[]> masks, Dictionary<string, float[]> reference)
    {
        var pruned = 0;
        foreach (var (name, values) in weights)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (masks[name][i] == 0)
                {
                    Assert.Equal(0f, values[i]);
                    pruned++;
                }
                else
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(reference[name][i]), BitConverter.SingleToInt32Bits(values[i]));
                }
            }
        }

        Assert.True(pruned > 0);
    }

    [Fact]
    public void Rewinding_to_init_restores_the_surviving_weights_bit_for_bit()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 100);
        var training = new TrainingSettings { Epochs = 2, Seed = 9 };
        var pruning = new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 2), Rewind = Rewind.ToInit };
        using var run = new PruningRun(() => new TwoLayerNet(784, 32, 10), training, pruning);
        var initial = Weights(run.Masks!);
        var startsOfRounds = new List<(Dictionary<string, float[]> Weights, Dictionary<string, float[]> Masks)>();
        run.Hooks.Add(new RoundStartRecorder(() => startsOfRounds.Add((Weights(run.Masks!), Masks(run.Masks!)))));
        run.Execute(data);

        Assert.Equal(3, startsOfRounds.Count);
        foreach (var (weights, masks) in startsOfRounds.Skip(1))
        {
            AssertRewound(weights, masks, initial);
        }
    }

    [Fact]
    public void Rewinding_to_epoch_k_restores_the_weights_after_epoch_k_bit_for_bit()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 100);
        var training = new TrainingSettings { Epochs = 3, Seed = 4 };
        var pruning = new PruningSettings { Schedule = new IterativeSchedule(0.3, rounds: 1), Rewind = Rewind.ToEpoch(1) };
        using var run = new PruningRun(() => new TwoLayerNet(784, 32, 10), training, pruning);
        var recorder = new WeightRecorder(() => Weights(run.Masks!));
        var startsOfRounds = new List<Dictionary<string, float[]>>();
        run.Hooks.Add(recorder);
        run.Hooks.Add(new RoundStartRecorder(() => startsOfRounds.Add(Weights(run.Masks!))));
        run.Execute(data);

        var afterEpoch1 = recorder.AfterEpochs[(0, 1)];
        AssertRewound(startsOfRounds[1], Masks(run.Masks!), afterEpoch1);
        var afterEpoch3 = recorder.AfterEpochs[(0, 3)];
        var changed = afterEpoch1.Keys.Sum(name => afterEpoch1[name].Zip(afterEpoch3[name]).Count(p => p.First != p.Second));
        Assert.True(changed > 0, "epochs 2 and 3 should have moved the weights, or the test proves nothing");
    }

    [Fact]
    public void Learning_rate_rewinding_keeps_the_weights_and_restarts_the_learning_rate_schedule()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 50, test: 50);
        var training = new TrainingSettings { Epochs = 3, Seed = 4, LearningRateMilestones = [2], LearningRateGamma = 0.1 };
        var pruning = new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 1), Rewind = Rewind.LearningRate };
        using var run = new PruningRun(() => new TwoLayerNet(784, 16, 10), training, pruning);
        var recorder = new WeightRecorder(() => Weights(run.Masks!));
        var startsOfRounds = new List<(Dictionary<string, float[]> Weights, Dictionary<string, float[]> Masks)>();
        run.Hooks.Add(recorder);
        run.Hooks.Add(new RoundStartRecorder(() => startsOfRounds.Add((Weights(run.Masks!), Masks(run.Masks!)))));
        var result = run.Execute(data);

        // Each round: 1e-3, 1e-3, then 1e-4 after the milestone; round 1 starts the schedule again.
        var rates = result.Rounds.SelectMany(r => r.Epochs).Select(m => m.LearningRate).ToArray();
        Assert.Equal(new[] { 1.2e-3, 1.2e-3, 1.2e-4, 1.2e-3, 1.2e-3, 1.2e-4 }, rates, new RelativeComparer(1e-9));

        // Round 1 starts from round 0's final weights, pruned.
        AssertRewound(startsOfRounds[1].Weights, startsOfRounds[1].Masks, recorder.AfterEpochs[(0, 3)]);
    }

    [Fact]
    public void Without_rewinding_training_goes_on_from_the_pruned_weights_with_the_schedule_going_on()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 50, test: 50);
        var training = new TrainingSettings { Epochs = 2, Seed = 4, LearningRateMilestones = [2], LearningRateGamma = 0.5 };
        var pruning = new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 1), Rewind = Rewind.None };
        using var run = new PruningRun(() => new TwoLayerNet(784, 16, 10), training, pruning);
        var recorder = new WeightRecorder(() => Weights(run.Masks!));
        var startsOfRounds = new List<(Dictionary<string, float[]> Weights, Dictionary<string, float[]> Masks)>();
        run.Hooks.Add(recorder);
        run.Hooks.Add(new RoundStartRecorder(() => startsOfRounds.Add((Weights(run.Masks!), Masks(run.Masks!)))));
        var result = run.Execute(data);

        var rates = result.Rounds.SelectMany(r => r.Epochs).Select(m => m.LearningRate).ToArray();
        Assert.Equal(new[] { 1.2e-3, 1.2e-3, 6e-4, 6e-4 }, rates, new RelativeComparer(1e-9));
        AssertRewound(startsOfRounds[1].Weights, startsOfRounds[1].Masks, recorder.AfterEpochs[(0, 2)]);
    }

    private sealed class RelativeComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(Math.Abs(x), Math.Abs(y));

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void Rewinding_to_an_epoch_after_the_first_pruning_event_is_a_clear_error()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 50, test: 50);
        var training = new TrainingSettings { Epochs = 3, Seed = 4 };
        var pruning = new PruningSettings { Schedule = new EveryEpochSchedule(0.2, 0.5, startEpoch: 1), Rewind = Rewind.ToEpoch(2) };
        using var run = new PruningRun(() => new TwoLayerNet(784, 16, 10), training, pruning);
        var error = Assert.Throws<InvalidOperationException>(() => run.Execute(data));
        Assert.Contains("ToEpoch(2)", error.Message);
        Assert.Contains("after epoch 1", error.Message);
    }

    /// <summary>Records the weights at the start of every round (after the previous round's rewind).</summary>
    private sealed class RoundStartRecorder(Action record) : ITrainingHooks
    {
        public void BeforeRound(int round, double weightsRemaining) => record();
    }
}
