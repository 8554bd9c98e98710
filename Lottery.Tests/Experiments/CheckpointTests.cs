using System.Globalization;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Tests.Experiments;

/// <summary>
/// A run stopped partway and run again with the same checkpoint folder ends with exactly the figures, masks and
/// weights of a run never stopped; damaged checkpoints are reported and the one before is used.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "lottery-checkpoint-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<string, int, int> Stops => new()
    {
        { "imp", 1, 2 },              // mid-round of the second IMP round
        { "imp", 0, 3 },              // the last epoch of the first round, before its round-end checkpoint
        { "leastchange", 0, 2 },      // between pruning events of a one-run schedule
        { "random-rewind-epoch", 0, 3 }, // random pruning (its generator's state) and late rewinding (its snapshot)
        { "movement", 0, 2 },         // movement's sums of -w * g, gathered over epochs 1 and 2, decide the next event
        { "movement", 0, 3 },
        { "imp-movement", 1, 2 },     // sums that restart with each round
        { "snip-at-init", 0, 2 },     // masks chosen before the first epoch
        { "transformer-heads", 1, 2 }, // masks a Transformer layer holds under dotted names (in no buffer), pruned by heads
        { "imp-sparse", 1, 2 },       // the sparse training path: its weights and optimizer state go back at each epoch's end
        { "leastchange-sparse", 0, 2 },
    };

    [Theory]
    [MemberData(nameof(Stops))]
    public void A_run_stopped_after_an_epoch_resumes_to_the_same_figures(string method, int round, int epoch)
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 200);
        var expected = Execute(method, data, checkpoints: null, stopAt: null);

        var store = new CheckpointStore(folder);
        Assert.Throws<StopRun>(() => Execute(method, data, store, stopAt: (round, epoch)));
        Assert.True(File.Exists(store.LatestPath), "the stopped run left a checkpoint");
        var resumedFrom = new List<string>();
        store.Resumed += resumedFrom.Add;
        var resumed = Execute(method, data, store, stopAt: null);

        Assert.Equal(store.LatestPath, Assert.Single(resumedFrom));
        Assert.Equal(expected, resumed);
        Assert.False(store.Any, "a finished run deletes its checkpoints");
    }

    [Fact]
    public void A_run_stopped_at_the_start_of_a_round_resumes_from_the_round_end_checkpoint()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 200);
        var expected = Execute("imp", data, null, null);
        var store = new CheckpointStore(folder);
        Assert.Throws<StopRun>(() => Execute("imp", data, store, stopAt: null, stopBeforeRound: 1));
        Assert.Equal(expected, Execute("imp", data, store, null));
    }

    [Fact]
    public void A_damaged_latest_checkpoint_is_reported_and_the_previous_one_is_used()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 200);
        var expected = Execute("leastchange", data, null, null);
        var store = new CheckpointStore(folder);
        Assert.Throws<StopRun>(() => Execute("leastchange", data, store, stopAt: (0, 3)));
        var bytes = File.ReadAllBytes(store.LatestPath);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(store.LatestPath, bytes);

        var rejected = new List<string>();
        var resumedFrom = new List<string>();
        store.Rejected += rejected.Add;
        store.Resumed += resumedFrom.Add;
        var resumed = Execute("leastchange", data, store, null);

        var message = Assert.Single(rejected);
        Assert.Contains(store.LatestPath, message, StringComparison.Ordinal);
        Assert.Contains("checksum", message, StringComparison.Ordinal);
        Assert.Equal(store.PreviousPath, Assert.Single(resumedFrom));
        Assert.True(File.Exists(store.LatestPath + ".rejected"), "the damaged file is kept aside for inspection");
        Assert.Equal(expected, resumed);
    }

    [Fact]
    public void With_both_checkpoints_damaged_the_run_reports_both_and_starts_over()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 200);
        var expected = Execute("imp", data, null, null);
        var store = new CheckpointStore(folder);
        Assert.Throws<StopRun>(() => Execute("imp", data, store, stopAt: (1, 1)));
        File.WriteAllBytes(store.PreviousPath, [1, 2, 3]);
        var truncated = File.ReadAllBytes(store.LatestPath);
        File.WriteAllBytes(store.LatestPath, truncated[..(truncated.Length / 2)]);

        var rejected = new List<string>();
        store.Rejected += rejected.Add;
        var resumed = Execute("imp", data, store, null);

        Assert.Equal(2, rejected.Count);
        Assert.Contains("truncated", rejected[0], StringComparison.Ordinal);
        Assert.EndsWith("and the checkpoint before it is tried.", rejected[0], StringComparison.Ordinal);
        Assert.Contains("not a Lottery checkpoint", rejected[1], StringComparison.Ordinal);
        Assert.EndsWith("and no whole checkpoint is left, so the run starts over from the beginning.", rejected[1], StringComparison.Ordinal);
        Assert.Equal(expected, resumed);
    }

    [Fact]
    public void A_half_written_checkpoint_left_by_a_kill_during_a_write_is_ignored()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 200);
        var expected = Execute("leastchange", data, null, null);
        var store = new CheckpointStore(folder);
        Assert.Throws<StopRun>(() => Execute("leastchange", data, store, stopAt: (0, 2)));
        File.WriteAllBytes(store.LatestPath + ".partial", File.ReadAllBytes(store.LatestPath)[..100]);
        var rejected = new List<string>();
        store.Rejected += rejected.Add;

        Assert.Equal(expected, Execute("leastchange", data, store, null));
        Assert.Empty(rejected);
    }

    [Fact]
    public void A_checkpoint_of_another_model_is_reported_and_the_run_starts_over_untouched()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 100, test: 200);
        var expected = Execute("imp", data, null, null, hidden: 16);
        var store = new CheckpointStore(folder);
        Assert.Throws<StopRun>(() => Execute("imp", data, store, stopAt: (1, 1), hidden: 24));

        var rejected = new List<string>();
        store.Rejected += rejected.Add;
        var resumed = Execute("imp", data, store, null, hidden: 16);

        Assert.Equal(2, rejected.Count);
        Assert.Contains(store.LatestPath, rejected[0], StringComparison.Ordinal);
        Assert.Contains("cannot be restored (it has no tensor 'first.weight' of shape [16, 784]", rejected[0], StringComparison.Ordinal);
        Assert.EndsWith("and the checkpoint before it is tried.", rejected[0], StringComparison.Ordinal);
        Assert.EndsWith("so the run starts over from the beginning.", rejected[1], StringComparison.Ordinal);
        Assert.Equal(expected, resumed);
    }

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Every figure of the run except the seconds, the final masks and the final weights, as text.</summary>
    private static string Execute(string method, DataSplit data, CheckpointStore? checkpoints, (int Round, int Epoch)? stopAt, int? stopBeforeRound = null, int hidden = 24)
    {
        var sparse = method.EndsWith("-sparse", StringComparison.Ordinal);
        method = sparse ? method[..^"-sparse".Length] : method;
        var training = new TrainingSettings { Epochs = 4, Seed = 11, BatchSize = 50, SparseTraining = sparse ? SparseTraining.Sparse : SparseTraining.Dense };
        var pruning = method switch
        {
            "imp" => new PruningSettings { Schedule = new IterativeSchedule(0.3, rounds: 2), Rewind = Rewind.ToInit },
            "leastchange" => new PruningSettings { Schedule = new EveryEpochSchedule(0.3, 0.2, 1, 3), Criterion = PruningCriteria.LeastChange, Rewind = Rewind.None },
            "random-rewind-epoch" => new PruningSettings { Schedule = new EveryEpochSchedule(0.3, 0.2, 1, 3), Criterion = PruningCriteria.Random, Rewind = Rewind.ToEpoch(1) },
            "movement" => new PruningSettings { Schedule = new EveryEpochSchedule(0.3, 0.2, 2, 3), Criterion = PruningCriteria.Movement, Rewind = Rewind.None },
            "imp-movement" => new PruningSettings { Schedule = new IterativeSchedule(0.3, rounds: 2), Criterion = PruningCriteria.Movement, Rewind = Rewind.ToInit },
            "snip-at-init" => new PruningSettings { Schedule = new AtInitSchedule(0.2), Criterion = PruningCriteria.Snip, Scope = Lottery.Masks.PruningScope.Global },
            "transformer-heads" => new PruningSettings { Schedule = new IterativeSchedule(0.25, rounds: 2), Rewind = Rewind.ToInit, Groups = true },
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        using var run = new PruningRun(
            () => method == "transformer-heads" ? new Lottery.Examples.Models.TransformerClassifier(width: 16) : sparse ? new CallingTwoLayerNet(784, hidden, 10) : new TwoLayerNet(784, hidden, 10),
            training,
            pruning);
        var stopper = new Stopper(stopAt, stopBeforeRound, sparse ? run : null);
        run.Hooks.Add(stopper);
        var result = run.Execute(data, checkpoints);
        Assert.Equal(sparse, stopper.SawSparseEpoch);

        var text = new System.Text.StringBuilder();
        foreach (var round in result.Rounds)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"round {round.Round} {round.WeightsRemaining:R} {round.FinalTest} {round.FinalValidation} {round.BestValidationLoss:R} {round.BestValidationLossIteration} {round.TestAccuracyAtBestValidation:R} {round.PruningEvents.Count}");
            foreach (var e in round.Epochs)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {e.Round} {e.Epoch} {e.Iteration} {e.TrainLoss:R} {e.Validation} {e.Test} {e.WeightsRemaining:R} {e.LearningRate:R} {e.MaskDistance:R} {e.TrainingMultiplyAdds}");
            }
        }

        foreach (var (name, value) in run.Model.state_dict())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{name} {string.Join(",", TestData.Values(value).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
        }

        foreach (var weight in run.Masks?.Weights ?? [])
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"mask {weight.Name} {string.Join(",", TestData.Values(weight.Mask).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
        }

        return text.ToString();
    }

    private sealed class StopRun : Exception;

    private sealed class Stopper((int Round, int Epoch)? stopAt, int? stopBeforeRound, PruningRun? sparse) : ITrainingHooks
    {
        public bool SawSparseEpoch { get; private set; }

        public void BeforeRound(int round, double weightsRemaining)
        {
            if (round == stopBeforeRound)
            {
                throw new StopRun();
            }
        }

        public void AfterEpoch(EpochMetrics metrics)
        {
            SawSparseEpoch |= sparse?.SparseLayers.Count > 0;
            if (stopAt is { } stop && metrics.Round == stop.Round && metrics.Epoch == stop.Epoch)
            {
                throw new StopRun();
            }
        }
    }
}
