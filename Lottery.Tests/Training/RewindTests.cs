using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;

namespace Lottery.Tests.Training;

public class RewindTests
{
    private sealed record Recorded(
        RunResult Result,
        Dictionary<string, float[]> Initial,
        Dictionary<(int Round, int Epoch), Dictionary<string, float[]>> AfterEpochs,
        List<(Dictionary<string, float[]> Weights, Dictionary<string, float[]> Masks)> RoundStarts);

    /// <summary>Runs a small model, recording the prunable weights after every epoch and at the start of every round.</summary>
    private static Recorded Run(TrainingSettings training, PruningSettings pruning)
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 100);
        using var run = new PruningRun(() => new TwoLayerNet(784, 32, 10), training, pruning);
        var masks = run.Masks!;
        Dictionary<string, float[]> Weights() => masks.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Parameter));
        Dictionary<string, float[]> Masks() => masks.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Mask));
        var recorder = new Recorder(Weights, () => (Weights(), Masks()));
        var initial = Weights();
        run.Hooks.Add(recorder);
        var result = run.Execute(data);
        return new Recorded(result, initial, recorder.AfterEpochs, recorder.RoundStarts);
    }

    /// <summary>Surviving entries equal the reference bit for bit; pruned entries are zero.</summary>
    private static void AssertRewound((Dictionary<string, float[]> Weights, Dictionary<string, float[]> Masks) start, Dictionary<string, float[]> reference)
    {
        var pruned = 0;
        foreach (var (name, values) in start.Weights)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (start.Masks[name][i] == 0)
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

    private static double[] LearningRates(RunResult result) => result.Rounds.SelectMany(r => r.Epochs).Select(m => m.LearningRate).ToArray();

    [Fact]
    public void Rewinding_to_init_restores_the_surviving_weights_bit_for_bit()
    {
        var run = Run(new TrainingSettings { Epochs = 2, Seed = 9 }, new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 2), Rewind = Rewind.ToInit });

        Assert.Equal(3, run.RoundStarts.Count);
        AssertRewound(run.RoundStarts[1], run.Initial);
        AssertRewound(run.RoundStarts[2], run.Initial);
    }

    [Fact]
    public void Rewinding_to_epoch_k_restores_the_weights_after_epoch_k_bit_for_bit()
    {
        var run = Run(new TrainingSettings { Epochs = 3, Seed = 4 }, new PruningSettings { Schedule = new IterativeSchedule(0.3, rounds: 1), Rewind = Rewind.ToEpoch(1) });

        var afterEpoch1 = run.AfterEpochs[(0, 1)];
        AssertRewound(run.RoundStarts[1], afterEpoch1);
        var afterEpoch3 = run.AfterEpochs[(0, 3)];
        var changed = afterEpoch1.Keys.Sum(name => afterEpoch1[name].Zip(afterEpoch3[name]).Count(p => p.First != p.Second));
        Assert.True(changed > 0, "epochs 2 and 3 should have moved the weights, or the test proves nothing");
    }

    [Fact]
    public void Learning_rate_rewinding_keeps_the_weights_and_restarts_the_learning_rate_schedule()
    {
        var training = new TrainingSettings { Epochs = 3, Seed = 4, LearningRateMilestones = [2], LearningRateGamma = 0.1 };
        var run = Run(training, new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 1), Rewind = Rewind.LearningRate });

        // Each round: 1.2e-3 for two epochs, then a tenth after the milestone; round 1 starts the schedule again.
        Assert.Equal(new[] { 1.2e-3, 1.2e-3, 1.2e-4, 1.2e-3, 1.2e-3, 1.2e-4 }, LearningRates(run.Result), new RelativeComparer(1e-9));

        // Round 1 starts from round 0's final weights, pruned.
        AssertRewound(run.RoundStarts[1], run.AfterEpochs[(0, 3)]);
    }

    [Fact]
    public void Without_rewinding_training_goes_on_from_the_pruned_weights_with_the_schedule_going_on()
    {
        var training = new TrainingSettings { Epochs = 2, Seed = 4, LearningRateMilestones = [2], LearningRateGamma = 0.5 };
        var run = Run(training, new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 1), Rewind = Rewind.None });

        Assert.Equal(new[] { 1.2e-3, 1.2e-3, 6e-4, 6e-4 }, LearningRates(run.Result), new RelativeComparer(1e-9));
        AssertRewound(run.RoundStarts[1], run.AfterEpochs[(0, 2)]);
    }

    [Fact]
    public void Rewinding_to_an_epoch_after_the_first_pruning_event_is_a_clear_error()
    {
        var pruning = new PruningSettings { Schedule = new EveryEpochSchedule(0.2, 0.5, startEpoch: 1), Rewind = Rewind.ToEpoch(2) };
        var error = Assert.Throws<InvalidOperationException>(() => Run(new TrainingSettings { Epochs = 3, Seed = 4 }, pruning));
        Assert.Contains("ToEpoch(2)", error.Message);
        Assert.Contains("after epoch 1", error.Message);
    }

    private sealed class Recorder(
        Func<Dictionary<string, float[]>> readAfterEpoch,
        Func<(Dictionary<string, float[]>, Dictionary<string, float[]>)> readAtRoundStart) : ITrainingHooks
    {
        public Dictionary<(int Round, int Epoch), Dictionary<string, float[]>> AfterEpochs { get; } = [];

        public List<(Dictionary<string, float[]> Weights, Dictionary<string, float[]> Masks)> RoundStarts { get; } = [];

        public void BeforeRound(int round, double weightsRemaining) => RoundStarts.Add(readAtRoundStart());

        public void AfterEpoch(EpochMetrics metrics) => AfterEpochs[(metrics.Round, metrics.Epoch)] = readAfterEpoch();
    }

    private sealed class RelativeComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(Math.Abs(x), Math.Abs(y));

        public int GetHashCode(double obj) => 0;
    }
}
