using Lottery.Data;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Schedules;

/// <summary>Dynamic sparse training (SET and RigL): the drop-and-grow step by hand, and whole runs watched batch by batch.</summary>
public class DynamicSparseTests
{
    [Fact]
    public void Drop_and_grow_drops_the_smallest_survivors_and_regrows_the_highest_scoring_pruned_entries()
    {
        // Survivors (mask 1): 0.5, -0.1, 0.3, -0.9, 0.2 at flat indices 0, 1, 3, 5, 6. Pruned: 2, 4, 7.
        using var weight = tensor(new float[] { 0.5f, -0.1f, 0f, 0.3f, 0f, -0.9f, 0.2f, 0f }).reshape(2, 4);
        using var mask = tensor(new float[] { 1, 1, 0, 1, 0, 1, 1, 0 }).reshape(2, 4);
        // Scores everywhere; only pruned entries (2, 4, 7) may regrow: 4 (0.8) and 7 (0.6) beat 2 (0.1). The survivors'
        // higher scores must be ignored.
        using var scores = tensor(new float[] { 9f, 9f, 0.1f, 9f, 0.8f, 9f, 9f, 0.6f }).reshape(2, 4);

        var (dropped, grown) = SparseTopology.DropAndGrow(weight, mask, scores, 2);

        // The two smallest magnitudes among survivors: |-0.1| at 1 and |0.2| at 6.
        Assert.Equal(new[] { false, true, false, false, false, false, true, false }, Bools(dropped));
        Assert.Equal(new[] { false, false, false, false, true, false, false, true }, Bools(grown));
        Assert.Equal(new float[] { 1, 0, 0, 1, 1, 1, 0, 1 }, TestData.Values(mask));
        Assert.Equal(new long[] { 2, 4 }, grown.shape);
    }

    [Fact]
    public void Drop_and_grow_never_regrows_what_it_just_dropped_and_moves_no_more_than_there_are_pruned_entries()
    {
        using var weight = tensor(new float[] { 0.5f, -0.1f, 0f, 0.3f }).reshape(1, 4);
        using var mask = tensor(new float[] { 1, 1, 0, 1 }).reshape(1, 4);
        // The dropped entry (1) scores highest, but it was a survivor when the step began, so it cannot come back.
        using var scores = tensor(new float[] { 0f, 100f, 1f, 0f }).reshape(1, 4);

        var (dropped, grown) = SparseTopology.DropAndGrow(weight, mask, scores, 3);

        // Only one entry was pruned, so only one moves: the smallest survivor goes, the pruned one comes back.
        Assert.Equal(new[] { false, true, false, false }, Bools(dropped));
        Assert.Equal(new[] { false, false, true, false }, Bools(grown));
        Assert.Equal(new float[] { 1, 0, 1, 1 }, TestData.Values(mask));
    }

    [Fact]
    public void The_drop_fraction_follows_RigL_s_cosine_at_update_batches_only()
    {
        var schedule = new DynamicSparseSchedule(0.1, RegrowthKind.Gradient, dropFraction: 0.3, updateEvery: 100);

        Assert.Equal(0.15 * (1 + Math.Cos(Math.PI * 0.1)), schedule.FractionAt(100, 1000), 12);   // 0.29266
        Assert.Equal(0.15, schedule.FractionAt(500, 1000), 12);
        Assert.Equal(0.0, schedule.FractionAt(150, 1000));   // not an update batch
        Assert.Equal(0.0, schedule.FractionAt(1100, 1000));  // after the last update batch
        Assert.Equal(150, schedule.LastUpdateBatch(epochs: 20, batchesPerEpoch: 10));   // three quarters of 200
        Assert.Equal(50, new DynamicSparseSchedule(0.1, RegrowthKind.Random, endEpoch: 5).LastUpdateBatch(20, 10));
    }

    [Theory]
    [InlineData(RegrowthKind.Random, OptimizerKind.Adam)]
    [InlineData(RegrowthKind.Gradient, OptimizerKind.Adam)]
    [InlineData(RegrowthKind.Random, OptimizerKind.Sgd)]
    [InlineData(RegrowthKind.Gradient, OptimizerKind.Sgd)]
    public void A_dynamic_sparse_run_keeps_its_density_exact_regrows_at_zero_and_keeps_pruned_weights_zero(RegrowthKind regrowth, OptimizerKind optimizer)
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        var method = new PruningMethod { Schedule = ScheduleKind.DynamicSparse, TargetRemaining = 0.1, Regrowth = regrowth, Criterion = CriterionKind.Random, UpdateEvery = 2, EndEpoch = 3 };
        var training = new TrainingSettings { Epochs = 4, Seed = 5, BatchSize = 50, Optimizer = optimizer, LearningRate = optimizer == OptimizerKind.Sgd ? 0.05 : 1e-3, Momentum = 0.9 };
        using var run = new PruningRun(() => new CallingTwoLayerNet(784, 24, 10), training, method.ToSettings());
        var watcher = new Watcher(run);
        run.Hooks.Add(watcher);

        var result = run.Execute(data);

        // 6 batches an epoch; update batches 2, 4, ..., 18 (epochs 1 to 3), where the cosine reaches 0 at the last: 8 updates.
        Assert.Equal(24, watcher.Batches);
        Assert.Equal(8, watcher.Updates);
        Assert.True(watcher.Regrown > 0, "no connection was regrown");
        Assert.Equal(8, run.Topology!.Updates);
        Assert.Equal(watcher.Regrown, run.Topology.Regrown);
        // The density is the first pruning's at every batch, layer by layer, and the run's figures say so.
        Assert.All(result.Rounds[0].Epochs, e => Assert.Equal(result.Rounds[0].Epochs[0].WeightsRemaining, e.WeightsRemaining, 12));
        Assert.Equal(0.1, result.FinalWeightsRemaining, 3);
        // The masks moved: the final mask is not the initial random one.
        Assert.True(watcher.FinalMaskDiffersFromFirst(run.Masks!), "the mask never changed");

        // Training cost: 3 passes of the surviving weights over the 300 training images; RigL also reads the dense weight
        // gradient of each 50-image update batch (3, 3 and 2 updates in epochs 1 to 3): the pruned weights' share more.
        const long dense = (784 * 24) + (24 * 10);
        var surviving = run.Masks!.Weights.Sum(w => (long)TestData.Values(w.Mask).Count(v => v != 0));
        int[] updates = regrowth == RegrowthKind.Gradient ? [3, 3, 2, 0] : [0, 0, 0, 0];
        Assert.Equal(
            updates.Select(u => (3 * surviving * 300) + (u * 50 * (dense - surviving))).Cast<long?>(),
            result.Rounds[0].Epochs.Select(e => e.TrainingMultiplyAdds));
    }

    [Fact]
    public void RigL_regrows_the_pruned_connections_with_the_largest_gradients_of_the_update_batch()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        var method = new PruningMethod { Schedule = ScheduleKind.DynamicSparse, TargetRemaining = 0.2, Regrowth = RegrowthKind.Gradient, UpdateEvery = 3 };
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 2, Seed = 2, BatchSize = 50 }, method.ToSettings());
        var checker = new GradientChecker(run);
        run.Hooks.Add(checker);

        run.Execute(data);

        Assert.True(checker.Checked >= 2, $"only {checker.Checked} updates checked");
    }

    [Fact]
    public void The_same_seed_gives_the_same_masks_and_another_seed_other_masks()
    {
        using var data = TestData.SmallDigits(train: 200, validation: 40, test: 40);
        var method = new PruningMethod { Schedule = ScheduleKind.DynamicSparse, TargetRemaining = 0.2, Regrowth = RegrowthKind.Random, UpdateEvery = 2 };

        var first = FinalMasks(data, method, seed: 4);
        var again = FinalMasks(data, method, seed: 4);
        var other = FinalMasks(data, method, seed: 9);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void A_dynamic_sparse_method_round_trips_and_refuses_what_does_not_fit()
    {
        var method = new PruningMethod { Schedule = ScheduleKind.DynamicSparse, TargetRemaining = 0.05, Regrowth = RegrowthKind.Gradient, DropFraction = 0.5, UpdateEvery = 10, EndEpoch = 7, Epochs = 20, Criterion = CriterionKind.Random };

        Assert.Equal(method, PruningMethod.FromJson(method.ToJson()));
        var schedule = Assert.IsType<DynamicSparseSchedule>(method.ToSettings().Schedule);
        Assert.Equal((0.05, RegrowthKind.Gradient, 0.5, 10, (int?)7), (schedule.TargetRemaining, schedule.Regrowth, schedule.DropFraction, schedule.UpdateEvery, schedule.EndEpoch));
        Assert.Contains("Regrowth", Assert.Throws<ArgumentException>(() => (method with { Regrowth = null }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("DynamicSparse", Assert.Throws<ArgumentException>(() => new PruningMethod { Schedule = ScheduleKind.EveryEpoch, TargetRemaining = 0.1, Regrowth = RegrowthKind.Random }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("DropFraction", Assert.Throws<ArgumentException>(() => (method with { DropFraction = 1.0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("UpdateEvery", Assert.Throws<ArgumentException>(() => (method with { UpdateEvery = 0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Rewind", Assert.Throws<ArgumentException>(() => (method with { Rewind = RewindKind.ToInit }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Movement", Assert.Throws<ArgumentException>(() => (method with { Criterion = CriterionKind.Movement }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Epochs", Assert.Throws<ArgumentException>(() => (method with { Epochs = 0 }).Validate()).Message, StringComparison.Ordinal);

        // Methods that do not regrow, or do not give their own epochs, write none of it: their identities are unchanged.
        var imp = new PruningMethod { Schedule = ScheduleKind.Iterative, Rounds = 3 };
        Assert.DoesNotContain("Regrowth", imp.ToJson(), StringComparison.Ordinal);
        Assert.DoesNotContain("Epochs", imp.ToJson(), StringComparison.Ordinal);
        Assert.DoesNotContain("UpdateEvery", imp.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_structured_layer_is_refused_with_its_name()
    {
        var method = new PruningMethod { Schedule = ScheduleKind.DynamicSparse, TargetRemaining = 0.5, Regrowth = RegrowthKind.Random };
        var settings = method.ToSettings() with { Masks = new MaskOptions { LayerStructures = new Dictionary<string, Structure> { ["first"] = Structure.Neurons } } };

        var error = Assert.Throws<ArgumentException>(() => new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 1, Seed = 1 }, settings));

        Assert.Contains("first.weight", error.Message, StringComparison.Ordinal);
    }

    private static List<float[]> FinalMasks(DataSplit data, PruningMethod method, long seed)
    {
        using var run = new PruningRun(() => new TwoLayerNet(784, 24, 10), new TrainingSettings { Epochs = 2, Seed = seed, BatchSize = 50 }, method.ToSettings());
        run.Execute(data);
        return run.Masks!.Weights.Select(w => TestData.Values(w.Mask)).ToList();
    }

    private static bool[] Bools(Tensor t) => TestData.Values(t.to(ScalarType.Float32)).Select(v => v != 0).ToArray();

    /// <summary>Checks every batch: counts per layer, zeros at pruned entries, and each update's regrown entries and optimizer state.</summary>
    private sealed class Watcher : ITrainingHooks
    {
        private readonly PruningRun run;
        private long[]? counts;
        private List<float[]>? firstMasks;

        public Watcher(PruningRun run)
        {
            this.run = run;
            run.Topology!.Updated += OnUpdate;
        }

        public int Batches { get; private set; }

        public int Updates { get; private set; }

        public long Regrown { get; private set; }

        public void BeforeRound(int round, double weightsRemaining)
        {
            var masks = run.Masks!;
            counts = masks.Weights.Select(w => Count(w.Mask)).ToArray();
            firstMasks = masks.Weights.Select(w => TestData.Values(w.Mask)).ToList();
        }

        public void AfterBatch(BatchProgress progress)
        {
            Batches++;
            var masks = run.Masks!;
            for (var i = 0; i < masks.Weights.Count; i++)
            {
                var weight = masks.Weights[i];
                Assert.Equal(counts![i], Count(weight.Mask));
                Assert.Equal(counts[i], weight.Remaining);
                var values = TestData.Values(weight.Parameter);
                var mask = TestData.Values(weight.Mask);
                Assert.All(Enumerable.Range(0, values.Length).Where(j => mask[j] == 0), j => Assert.Equal(0f, values[j]));
            }
        }

        public bool FinalMaskDiffersFromFirst(MaskSet masks) =>
            masks.Weights.Select((w, i) => !TestData.Values(w.Mask).SequenceEqual(firstMasks![i])).Any(d => d);

        private void OnUpdate(IReadOnlyList<(PrunableWeight Weight, Tensor Dropped, Tensor Grown)> changes)
        {
            Updates++;
            var optimizer = (OptimizerHelper)run.Optimizer;
            var parameters = optimizer.parameters().ToList();
            var states = optimizer.state_dict().State;
            foreach (var (weight, dropped, grown) in changes)
            {
                var droppedAt = Bools(dropped);
                var grownAt = Bools(grown);
                Assert.Equal(droppedAt.Count(d => d), grownAt.Count(g => g));
                Assert.DoesNotContain(Enumerable.Range(0, grownAt.Length), j => grownAt[j] && droppedAt[j]);
                var values = TestData.Values(weight.Parameter);
                var mask = TestData.Values(weight.Mask);
                for (var j = 0; j < grownAt.Length; j++)
                {
                    if (grownAt[j])
                    {
                        Assert.Equal(1f, mask[j]);
                        Assert.Equal(0f, values[j]);   // regrown at exactly zero
                    }

                    if (droppedAt[j])
                    {
                        Assert.Equal(0f, mask[j]);
                        Assert.Equal(0f, values[j]);
                    }
                }

                // The optimizer's state starts again at the regrown entries: no momentum, no moments.
                var state = states[parameters.FindIndex(p => p.Handle == weight.Parameter.Handle)];
                Tensor?[] tensors = state switch
                {
                    Adam.State adam => [adam.exp_avg, adam.exp_avg_sq],
                    SGD.State sgd => [sgd.momentum_buffer],
                    _ => throw new InvalidOperationException(state.GetType().Name),
                };
                foreach (var stateValues in tensors.Where(t => t is not null && !t.IsInvalid).Select(t => TestData.Values(t!)))
                {
                    Assert.All(Enumerable.Range(0, grownAt.Length).Where(j => grownAt[j]), j => Assert.Equal(0f, stateValues[j]));
                }

                Regrown += grownAt.Count(g => g);
            }
        }

        private static long Count(Tensor mask) => TestData.Values(mask).Count(v => v != 0);
    }

    /// <summary>Keeps |gradient| and the mask before each update, then requires the regrown entries to be the top ones by hand.</summary>
    private sealed class GradientChecker : ITrainingHooks
    {
        private readonly PruningRun run;
        private readonly Dictionary<PrunableWeight, (float[] Gradient, float[] Mask)> before = [];

        public GradientChecker(PruningRun run)
        {
            this.run = run;
            run.Topology!.Updated += OnUpdate;
        }

        public int Checked { get; private set; }

        public void AfterBackward(BatchProgress progress)
        {
            before.Clear();
            foreach (var weight in run.Masks!.Weights)
            {
                before[weight] = (TestData.Values(weight.Parameter.grad!.abs()), TestData.Values(weight.Mask));
            }
        }

        private void OnUpdate(IReadOnlyList<(PrunableWeight Weight, Tensor Dropped, Tensor Grown)> changes)
        {
            foreach (var (weight, _, grown) in changes)
            {
                var (gradient, mask) = before[weight];
                var grownAt = Bools(grown);
                var count = grownAt.Count(g => g);
                var expected = Enumerable.Range(0, mask.Length).Where(j => mask[j] == 0).OrderByDescending(j => gradient[j]).Take(count).Order().ToArray();
                Assert.Equal(expected, Enumerable.Range(0, grownAt.Length).Where(j => grownAt[j]).ToArray());
            }

            Checked++;
        }
    }
}
