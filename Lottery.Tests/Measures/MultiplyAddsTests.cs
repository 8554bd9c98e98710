using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Measures;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Measures;

/// <summary>Multiply-add counts against hand counts of the layers' sizes.</summary>
public sealed class MultiplyAddsTests
{
    [Fact]
    public void A_dense_lenet_300_100_costs_its_weights_once_an_example()
    {
        using var model = new LeNet300100();
        using var example = zeros(1, 1, 28, 28);
        var count = MultiplyAdds.Probe(model, example);

        // 784*300 + 300*100 + 100*10 = 235,200 + 30,000 + 1,000.
        Assert.True(count.Complete);
        Assert.Equal(["fc1", "fc2", "fc3"], count.Layers.Select(l => l.Name));
        Assert.All(count.Layers, l => Assert.Equal(1, l.Positions));
        Assert.Equal(266_200, count.DenseForward);
        Assert.Equal(266_200, count.Forward());
    }

    [Fact]
    public void A_masked_lenet_300_100_costs_only_its_surviving_weights_and_training_three_passes()
    {
        using var model = new LeNet300100();
        var masks = model.AttachMasks();
        using var example = zeros(1, 784);
        var count = MultiplyAdds.Probe(model, example);
        using (no_grad())
        {
            // Known densities: fc1 keeps half its inputs (300*392), fc2 keeps half its rows (50*300), fc3 keeps all.
            Mask(model, "fc1").narrow(1, 0, 392).zero_();
            Mask(model, "fc2").narrow(0, 0, 50).zero_();
        }

        Assert.Equal(117_600 + 15_000 + 1_000, count.Forward());
        Assert.Equal(3L * 133_600 * 1_000, count.Training(1_000));
        Assert.Equal(266_200, count.DenseForward);
        GC.KeepAlive(masks);
    }

    [Fact]
    public void The_transformer_classifier_costs_its_projections_at_every_token_and_loses_its_pruned_heads_and_neurons()
    {
        using var model = new TransformerClassifier();
        using var example = zeros(1, 784);
        var count = MultiplyAdds.Probe(model, example);

        // 28 tokens of 28 pixels, width 32, 4 heads, feed-forward 64: the embedding, Q/K/V, the output projection and
        // both feed-forward layers at each token; the head once, on the tokens' mean.
        Assert.True(count.Complete);
        string[] layers = ["embed", "encoder.self_attn", "encoder.self_attn.out_proj", "encoder.linear1", "encoder.linear2", "head"];
        Assert.Equal(layers.Order(StringComparer.Ordinal), count.Layers.Select(l => l.Name).Order(StringComparer.Ordinal));
        var dense = (28L * 28 * 32) + (28L * 3 * 32 * 32) + (28L * 32 * 32) + (28L * 64 * 32) + (28L * 32 * 64) + (32 * 10);
        Assert.Equal(dense, count.DenseForward);

        // Two heads of 8 features and 32 neurons go: their masks are held in the set, not in buffers of the layers.
        var groups = Lottery.Groups.DependencyGroups.Of(model, example);
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        foreach (var group in groups.Groups)
        {
            foreach (var unit in group.Units.Take(group.Units.Count / 2))
            {
                masks.Remove(unit);
            }
        }

        Assert.Equal(dense - (28L * 3 * 16 * 32) - (28L * 32 * 16) - (28L * 32 * 32 * 2), count.Forward());
    }

    [Fact]
    public void A_convolution_costs_its_weights_at_every_output_position()
    {
        using var model = new Conv2();
        using var example = zeros(1, 1, 28, 28);
        var count = MultiplyAdds.Probe(model, example);

        // conv1: 1*64*3*3 = 576 weights at 28*28 = 784 positions (padding 1); conv2: 64*64*3*3 = 36,864 at 784;
        // after the 2x2 pool, fc1: 64*14*14*256 = 3,211,264; fc2: 256*256 = 65,536; fc3: 256*10 = 2,560.
        Assert.Equal([784L, 784, 1, 1, 1], count.Layers.Select(l => l.Positions));
        Assert.Equal((576L * 784) + (36_864L * 784) + 3_211_264 + 65_536 + 2_560, count.Forward());
    }

    [Fact]
    public void A_layer_the_forward_does_not_call_through_call_gives_no_count_rather_than_a_wrong_one()
    {
        // TwoLayerNet's forward calls first.forward(...) and second.forward(...), which run no hooks.
        using var model = new TwoLayerNet(784, 8, 10);
        using var example = zeros(1, 784);
        var count = MultiplyAdds.Probe(model, example);
        Assert.False(count.Complete);
        Assert.Null(count.Forward());
        Assert.Null(count.Training(10));
    }

    [Fact]
    public void A_run_records_each_epochs_training_cost_with_the_weights_that_survived_it()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 100, test: 100);
        var training = new TrainingSettings { Epochs = 3, Seed = 5, BatchSize = 50 };
        var pruning = new PruningSettings { Schedule = new EveryEpochSchedule(0.5, 0.25, 1, 2), Criterion = PruningCriteria.Magnitude };
        using var run = new PruningRun(() => new LeNet300100(), training, pruning);
        var result = run.Execute(data);

        // Epoch 1 trains every weight; each pruning event (after epochs 1 and 2) removes the weights its record counts.
        var epochs = result.Final.Epochs;
        var events = result.Final.PruningEvents;
        Assert.Equal(2, events.Count);
        var removedFirst = events[0].Removed.Values.Sum();
        var removedSecond = events[1].Removed.Values.Sum();
        var train = data.Train.Count;
        Assert.Equal(3L * 266_200 * train, epochs[0].TrainingMultiplyAdds);
        Assert.Equal(3L * (266_200 - removedFirst) * train, epochs[1].TrainingMultiplyAdds);
        Assert.Equal(3L * (266_200 - removedFirst - removedSecond) * train, epochs[2].TrainingMultiplyAdds);
        Assert.Equal(266_200 - removedFirst - removedSecond, result.Final.InferenceMultiplyAdds);
        Assert.True(removedFirst > 100_000, $"{removedFirst} weights removed after epoch 1");
        Assert.Equal(epochs.Sum(e => e.TrainingMultiplyAdds), result.TrainingMultiplyAdds);
    }

    private static Tensor Mask(nn.Module model, string layer) =>
        model.named_modules().Single(m => m.name == layer).module.named_buffers(recurse: false).Single(b => b.name == "weight_mask").buffer;
}
