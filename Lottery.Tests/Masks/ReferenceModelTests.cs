using Lottery.Examples.Models;
using Lottery.Training;

namespace Lottery.Tests.Masks;

/// <summary>The reference models with blocks, declared only with attributes: what they mask, counted by hand, and a short run of each.</summary>
public class ReferenceModelTests
{
    [Fact]
    public void The_small_MobileNet_masks_each_inverted_residuals_expand_depthwise_and_project_convolutions()
    {
        using var model = new SmallMobileNet();
        var masks = model.AttachMasks();

        // out x in / groups x kernel area; a depthwise conv has one input channel per filter.
        (string Name, long Count)[] expected =
        [
            ("stem.weight", 16 * 9), ("head.weight", 10 * 32),
            ("blocks.0.expand.weight", 64 * 16), ("blocks.0.depthwise.weight", 64 * 9), ("blocks.0.project.weight", 16 * 64),
            ("blocks.1.expand.weight", 64 * 16), ("blocks.1.depthwise.weight", 64 * 9), ("blocks.1.project.weight", 24 * 64),
            ("blocks.2.expand.weight", 96 * 24), ("blocks.2.depthwise.weight", 96 * 9), ("blocks.2.project.weight", 24 * 96),
            ("blocks.3.expand.weight", 96 * 24), ("blocks.3.depthwise.weight", 96 * 9), ("blocks.3.project.weight", 32 * 96),
        ];
        Assert.Equal(expected, masks.Weights.Select(w => (w.Name, w.Count)));
    }

    [Fact]
    public void The_transformer_classifier_masks_its_embedding_its_positions_every_weight_of_its_encoder_layer_and_its_head()
    {
        using var model = new TransformerClassifier();
        var masks = model.AttachMasks();

        (string Name, long Count)[] expected =
        [
            ("embed.weight", 32 * 28), ("positions", 28 * 32),
            ("encoder.self_attn.in_proj_weight", 3 * 32 * 32), ("encoder.self_attn.out_proj.weight", 32 * 32),
            ("encoder.linear1.weight", 64 * 32), ("encoder.linear2.weight", 32 * 64),
            ("head.weight", 10 * 32),
        ];
        Assert.Equal(expected, masks.Weights.Select(w => (w.Name, w.Count)));
        Assert.Equal(0.1, masks["head.weight"].Rate);

        // A [Prunable] Parameter field has its accessor, on the model itself.
        Assert.Same(masks["positions"], model.PositionsMask);
        Assert.Same(model, model.PositionsMask.Layer);
    }

    [Fact]
    public void Short_runs_of_the_mobile_net_and_the_transformer_prune_every_declared_weight_and_keep_the_pruned_ones_zero()
    {
        using var data = TestData.SmallDigits(train: 200, validation: 50, test: 50);
        var training = new TrainingSettings { Epochs = 1, Seed = 4, BatchSize = 50 };
        using var mobile = SmallMobileNet.CreateRun(training, SmallMobileNet.PruneSchedules.EveryEpochMagnitude);
        mobile.Execute(data);
        using var transformer = TransformerClassifier.CreateRun(training, TransformerClassifier.PruneSchedules.EveryEpochMagnitude);
        transformer.Execute(data);

        foreach (var weight in mobile.Masks!.Weights.Concat(transformer.Masks!.Weights))
        {
            // 20% after the one epoch (10% for the heads), each layer rounding to whole weights.
            var kept = weight.Name == "head.weight" ? 0.9 : 0.8;
            Assert.Equal(kept, (double)weight.Remaining / weight.Count, 1);
            using var pruned = weight.Parameter.masked_select(weight.Mask.eq(0));
            Assert.Equal(0, pruned.count_nonzero().item<long>());
        }
    }

    [Fact]
    public void A_run_of_the_transformer_by_groups_removes_whole_heads_of_its_declared_four()
    {
        using var data = TestData.SmallDigits(train: 200, validation: 50, test: 50);
        using var run = TransformerClassifier.CreateRun(new TrainingSettings { Epochs = 1, Seed = 5, BatchSize = 50 }, TransformerClassifier.PruneSchedules.ImpHeads with { Rounds = 1 });
        run.Execute(data);

        // The trace leaves the embedding alone (a Transformer layer reads its features whole); the declared heads make two
        // groups: 4 heads (one goes) and 64 feed-forward neurons (16 go).
        var masks = run.Masks!;
        var groups = masks.Groups!;
        Assert.Equal([3, 48], groups.Groups.Select(masks.KeptUnits).Order());
        Assert.All(groups.Groups, g => Assert.Equal(["encoder"], g.Layers));
        using var query = masks["encoder.self_attn.in_proj_weight"].Mask.narrow(0, 0, 32).reshape(4, -1).ne(0).any(1);
        Assert.Equal(3, query.sum().item<long>());
    }
}
