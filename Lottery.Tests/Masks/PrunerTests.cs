using Lottery.Criteria;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.Tests.Masks;

public class PrunerTests
{
    private static readonly float[,] FirstWeights =
    {
        { 0.5f, -0.1f, 0.3f, -0.9f },
        { 0.2f, 0.7f, -0.05f, 0.6f },
        { -0.4f, 0.8f, 0.15f, -0.25f },
    };

    private static readonly float[,] SecondWeights =
    {
        { 0.01f, -0.6f, 0.35f },
        { 0.45f, 0.02f, -0.03f },
    };

    private static (TwoLayerNet Net, MaskSet Masks) Setup(MaskOptions? options = null, float[,]? first = null, float[,]? second = null)
    {
        var net = new TwoLayerNet();
        net.SetWeights(first ?? FirstWeights, second ?? SecondWeights);
        return (net, MaskSet.Attach(net, options));
    }

    private static float[] Mask(MaskSet masks, string name) => TestData.Values(masks[name].Mask);

    private static PruningEvent Prune(MaskSet masks, PruningAmount amount, PruningScope scope, IPruningCriterion? criterion = null, ulong seed = 7)
    {
        using var generator = new Generator(seed);
        return Pruner.Prune(masks, amount, scope, criterion ?? PruningCriteria.Magnitude, generator);
    }

    [Fact]
    public void Magnitude_layerwise_removes_the_smallest_entries_of_each_layer()
    {
        var (net, masks) = Setup();
        using (net)
        using (masks)
        {
            var pruning = Prune(masks, PruningAmount.ByRate(0.25), PruningScope.Layerwise);

            // first: 12 entries, round(0.25 * 12) = 3 smallest |w|: -0.05, -0.1, 0.15.
            Assert.Equal(new float[] { 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1 }, Mask(masks, "first.weight"));

            // second: 6 entries, round(1.5) = 2 (halves round away from zero): 0.01, 0.02.
            Assert.Equal(new float[] { 0, 1, 1, 1, 0, 1 }, Mask(masks, "second.weight"));
            Assert.Equal(3, pruning.Removed["first.weight"]);
            Assert.Equal(2, pruning.Removed["second.weight"]);
            Assert.Equal(0f, TestData.Values(net.First.weight!)[6]);
            Assert.Equal(13, masks.Remaining);
        }
    }

    [Fact]
    public void Magnitude_global_draws_one_threshold_over_all_layers()
    {
        var (net, masks) = Setup();
        using (net)
        using (masks)
        {
            Prune(masks, PruningAmount.ByRate(1.0 / 3), PruningScope.Global);

            // 18 entries, 6 go: 0.01, 0.02, -0.03, -0.05, -0.1, 0.15.
            Assert.Equal(new float[] { 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1 }, Mask(masks, "first.weight"));
            Assert.Equal(new float[] { 0, 1, 1, 1, 0, 0 }, Mask(masks, "second.weight"));
        }
    }

    [Fact]
    public void Ties_break_towards_the_earlier_entry_in_model_order()
    {
        var ones = new float[3, 4];
        var twos = new float[2, 3];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                ones[i, j] = i == 2 ? -1f : 1f;
            }
        }

        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                twos[i, j] = 1f;
            }
        }

        var (net, masks) = Setup(first: ones, second: twos);
        using (net)
        using (masks)
        {
            Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise);
            Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, Mask(masks, "first.weight"));
            Assert.Equal(new float[] { 0, 0, 0, 1, 1, 1 }, Mask(masks, "second.weight"));

            // Globally, all 9 survivors tie at |w| = 1: round(4.5) = 5 go, the first five in model order.
            Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Global);
            Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, Mask(masks, "first.weight"));
            Assert.Equal(new float[] { 0, 0, 0, 1, 1, 1 }, Mask(masks, "second.weight"));
        }
    }

    [Fact]
    public void Later_events_remove_a_rate_of_the_remaining_weights_only()
    {
        var (net, masks) = Setup();
        using (net)
        using (masks)
        {
            Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise);
            Assert.Equal(6, masks["first.weight"].Remaining);
            var second = Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise);
            Assert.Equal(3, second.Removed["first.weight"]);
            Assert.Equal(3, masks["first.weight"].Remaining);

            // The survivors are the three largest |w| of the original: -0.9, 0.8, 0.7.
            Assert.Equal(new float[] { 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0 }, Mask(masks, "first.weight"));
        }
    }

    [Fact]
    public void LeastChange_removes_the_entries_closest_to_their_initial_values()
    {
        var (net, masks) = Setup();
        using (net)
        using (masks)
        {
            // Move the weights away from the captured initial values by known amounts.
            using (no_grad())
            {
                net.First.weight!.add_(tensor(new float[,] { { 0.9f, 0.1f, -0.2f, 0.3f }, { 0.05f, -0.6f, 0.4f, 0.7f }, { 0.8f, -0.15f, 0.5f, 0.25f } }));
            }

            Prune(masks, PruningAmount.ByRate(0.25), PruningScope.Layerwise, PruningCriteria.LeastChange);

            // |change| smallest three: 0.05, 0.1, 0.15.
            Assert.Equal(new float[] { 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1 }, Mask(masks, "first.weight"));
        }
    }

    [Fact]
    public void MagnitudeIncrease_removes_the_entries_whose_magnitude_grew_least()
    {
        var (net, masks) = Setup();
        using (net)
        using (masks)
        {
            // Halve three entries' magnitudes (largest decrease: -0.9 -> -0.45, 0.8 -> 0.4, 0.7 -> 0.35), double the rest.
            using (no_grad())
            {
                var factor = tensor(new float[,] { { 2f, 2f, 2f, 0.5f }, { 2f, 0.5f, 2f, 2f }, { 2f, 0.5f, 2f, 2f } });
                net.First.weight!.mul_(factor);
            }

            Prune(masks, PruningAmount.ByRate(0.25), PruningScope.Layerwise, PruningCriteria.MagnitudeIncrease);
            Assert.Equal(new float[] { 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1 }, Mask(masks, "first.weight"));
        }
    }

    [Fact]
    public void LeastChange_and_MagnitudeIncrease_globally_compare_scores_across_layers()
    {
        var (net, masks) = Setup();
        using (net)
        using (masks)
        {
            // Change every weight by +0.5 except three: first[0,0] by 0.01, second[0,2] by 0.02, second[1,1] by 0.03.
            using (no_grad())
            {
                var firstChange = full(3, 4, 0.5f);
                firstChange[0, 0] = tensor(0.01f);
                var secondChange = full(2, 3, 0.5f);
                secondChange[0, 2] = tensor(0.02f);
                secondChange[1, 1] = tensor(0.03f);
                net.First.weight!.add_(firstChange);
                net.Second.weight!.add_(secondChange);
            }

            // 18 weights, round(3/18 * 18) = 3 go: the three that barely moved, two of them in the second layer.
            Prune(masks, PruningAmount.ByRate(1.0 / 6), PruningScope.Global, PruningCriteria.LeastChange);
            Assert.Equal(new float[] { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, Mask(masks, "first.weight"));
            Assert.Equal(new float[] { 1, 1, 0, 1, 0, 1 }, Mask(masks, "second.weight"));
        }

        var (net2, masks2) = Setup();
        using (net2)
        using (masks2)
        {
            // Shrink three weights towards zero (|w| decreases), grow the rest: the shrunk ones go first.
            using (no_grad())
            {
                var factor = full(3, 4, 1.5f);
                factor[1, 1] = tensor(0.1f);   // 0.7 -> 0.07: |w| - |w0| = -0.63
                var secondFactor = full(2, 3, 1.5f);
                secondFactor[0, 1] = tensor(0.5f);   // -0.6 -> -0.3: -0.3
                secondFactor[1, 0] = tensor(0.9f);   // 0.45 -> 0.405: -0.045
                net2.First.weight!.mul_(factor);
                net2.Second.weight!.mul_(secondFactor);
            }

            Prune(masks2, PruningAmount.ByRate(1.0 / 6), PruningScope.Global, PruningCriteria.MagnitudeIncrease);
            Assert.Equal(new float[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1 }, Mask(masks2, "first.weight"));
            Assert.Equal(new float[] { 1, 0, 1, 0, 1, 1 }, Mask(masks2, "second.weight"));
        }
    }

    [Fact]
    public void Random_removes_the_exact_count_and_repeats_with_the_same_seed()
    {
        float[] Run(ulong seed)
        {
            var (net, masks) = Setup();
            using (net)
            using (masks)
            {
                Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Random, seed);
                Assert.Equal(6, masks["first.weight"].Remaining);
                Assert.Equal(3, masks["second.weight"].Remaining);
                return Mask(masks, "first.weight").Concat(Mask(masks, "second.weight")).ToArray();
            }
        }

        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }

    [Fact]
    public void A_layer_rate_overrides_the_schedule_rate()
    {
        var options = new MaskOptions { LayerRates = new Dictionary<string, double> { ["second"] = 0.5 } };
        var (net, masks) = Setup(options);
        using (net)
        using (masks)
        {
            var pruning = Prune(masks, PruningAmount.ByRate(0.25), PruningScope.Layerwise);
            Assert.Equal(3, pruning.Removed["first.weight"]);
            Assert.Equal(3, pruning.Removed["second.weight"]);
        }
    }

    [Fact]
    public void A_rate_event_stops_exactly_at_the_target()
    {
        var (net, masks) = Setup();
        using (net)
        using (masks)
        {
            // 18 weights, rate 0.5 would leave 9; the target 0.75 (13.5 -> 14 weights) stops it at 14.
            var pruning = Prune(masks, PruningAmount.ByRate(0.5, targetRemaining: 0.75), PruningScope.Layerwise);
            Assert.Equal(14, masks.Remaining);
            Assert.Equal(4, pruning.Removed.Values.Sum());
        }
    }

    [Fact]
    public void An_exact_target_is_shared_between_layers_in_proportion_to_their_rates()
    {
        var options = new MaskOptions { LayerRates = new Dictionary<string, double> { ["second"] = 0.1 } };
        var (net, masks) = Setup(options);
        using (net)
        using (masks)
        {
            // Down to 9 of 18: 9 removed, shared 0.2*12 : 0.1*6 = 2.4 : 0.6 -> 7.2 and 1.8 -> 7 and 2.
            var pruning = Prune(masks, PruningAmount.ToRemaining(0.5, rate: 0.2), PruningScope.Layerwise);
            Assert.Equal(9, masks.Remaining);
            Assert.Equal(7, pruning.Removed["first.weight"]);
            Assert.Equal(2, pruning.Removed["second.weight"]);
        }
    }

    [Fact]
    public void Biases_are_pruned_only_when_asked()
    {
        var (net, masks) = Setup(new MaskOptions { PruneBiases = true });
        using (net)
        using (masks)
        {
            Assert.Equal(new[] { "first.weight", "first.bias", "second.weight", "second.bias" }, masks.Weights.Select(w => w.Name));
        }

        var (net2, masks2) = Setup();
        using (net2)
        using (masks2)
        {
            Assert.Equal(new[] { "first.weight", "second.weight" }, masks2.Weights.Select(w => w.Name));
        }
    }

    [Fact]
    public void Including_every_bias_skips_a_layer_created_without_one()
    {
        using var model = nn.Sequential(("a", nn.Linear(4, 3, hasBias: false)), ("b", nn.Linear(3, 2)));
        using var masks = MaskSet.Attach(model, new MaskOptions { PruneBiases = true });
        Assert.Equal(new[] { "a.weight", "b.weight", "b.bias" }, masks.Weights.Select(w => w.Name));
    }

    [Fact]
    public void An_unknown_layer_name_is_an_error_that_lists_the_prunable_layers()
    {
        using var net = new TwoLayerNet();
        var error = Assert.Throws<ArgumentException>(() => MaskSet.Attach(net, new MaskOptions { LayerRates = new Dictionary<string, double> { ["fc9"] = 0.1 } }));
        Assert.Contains("'fc9'", error.Message);
        Assert.Contains("first, second", error.Message);
    }

    [Fact]
    public void Conv_layers_are_prunable()
    {
        using var conv1 = nn.Conv1d(2, 3, 3);
        using var conv2 = nn.Conv2d(2, 3, 3);
        using var conv3 = nn.Conv3d(2, 3, 3);
        using var model = nn.Sequential(("a", conv1), ("b", conv2), ("c", conv3));
        using var masks = MaskSet.Attach(model);
        Assert.Equal(new[] { "a.weight", "b.weight", "c.weight" }, masks.Weights.Select(w => w.Name));
        using var generator = new Generator(1);
        Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        Assert.Equal(27, masks["b.weight"].Remaining);
        Assert.Equal(81, masks["c.weight"].Remaining);
    }
}
