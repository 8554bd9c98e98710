using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Groups;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Lottery.Tests.Groups;

/// <summary>
/// Pruning by dependency groups through the Pruner: counts per group, the weights-remaining target, the minimum, and the
/// pruned network against the same network with the pruned channels (or heads) cut out by hand.
/// </summary>
public class GroupPruningTests
{
    private static (SmallResNet Model, MaskSet Masks, DependencyGroups Groups) GroupedResNet(int seed)
    {
        manual_seed(seed);
        var model = new SmallResNet();
        using var example = randn(1, 1, 28, 28);
        var groups = DependencyGroups.Trace(model, example);
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        return (model, masks, groups);
    }

    [Fact]
    public void A_layerwise_event_removes_a_fifth_of_each_groups_channels_while_the_head_loses_their_columns_and_its_own_rate_of_weights()
    {
        var (model, masks, groups) = GroupedResNet(11);
        using var disposeModel = model;
        using var random = new Generator(1UL);
        Pruner.Prune(masks, PruningAmount.ByRate(0.2), PruningScope.Layerwise, PruningCriteria.Magnitude, random);

        // By hand: round(0.2 * 16) = 3, round(0.2 * 32) = 6, round(0.2 * 64) = 13 channels per group.
        var expected = new Dictionary<string, int> { ["stem"] = 13, ["blocks.0.conv1"] = 13, ["blocks.1.conv1"] = 26, ["blocks.1.conv2"] = 26, ["blocks.2.conv1"] = 51, ["blocks.2.conv2"] = 51 };
        Assert.Equal(expected.OrderBy(e => e.Key), groups.Groups.Select(g => new KeyValuePair<string, int>(g.Layers[0], masks.KeptUnits(g))).OrderBy(e => e.Key));

        // The head is in no group: it loses the 13 input columns of the last stage's pruned channels (10 weights each) and,
        // by its own rate ([Prunable(0.1)]), single weights: 10% of its 640.
        Assert.Equal(640 - 130 - 64, masks["head.weight"].Remaining);

        // A pruned channel is gone everywhere: its conv rows, its norm's weight and bias, the next convs' input channels.
        CutByHand.AssertPrunedUnitsZero(masks, groups);

        Assert.True(masks["blocks.1.norm2.weight"].IsCoupled);
        Assert.False(masks["blocks.1.conv2.weight"].IsCoupled);
    }

    [Fact]
    public void A_target_counts_weights_remaining_and_stops_within_one_channel_of_it()
    {
        var (model, masks, groups) = GroupedResNet(12);
        using var disposeModel = model;
        using var random = new Generator(1UL);
        var largestUnit = groups.Groups.SelectMany(g => g.Units).Max(u => u.Members.Where(m => masks[m.Parameter].IsCounted).Sum(m => SliceSize(masks, m)));
        Pruner.Prune(masks, PruningAmount.ToRemaining(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, random);

        Assert.True(masks.WeightsRemaining <= 0.5, $"{masks.WeightsRemaining:P2} remain; the target was 50%.");
        Assert.True(masks.Remaining > (0.5 * masks.Count) - largestUnit - 1, $"{masks.Remaining} remain of {masks.Count}: more than one channel past the target.");

        // Layerwise, every group stops at about the same fraction of its channels.
        var fractions = groups.Groups.Select(g => (double)masks.KeptUnits(g) / g.Units.Count).ToList();
        Assert.True(fractions.Max() - fractions.Min() <= 1.0 / 16 + 1e-9, string.Join(", ", fractions));
    }

    [Fact]
    public void Global_pruning_by_the_pruner_never_takes_a_groups_last_channel()
    {
        var (model, masks, groups) = GroupedResNet(13);
        using var disposeModel = model;
        using var random = new Generator(1UL);
        for (var i = 0; i < 6; i++)
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.9), PruningScope.Global, PruningCriteria.Magnitude, random);
        }

        Assert.All(groups.Groups, g => Assert.Equal(1, masks.KeptUnits(g)));
        CutByHand.AssertOutputDependsOnInput(model, [2, 1, 28, 28]);
    }

    [Fact]
    public void A_minimum_fraction_keeps_that_share_of_every_group_rounded_up()
    {
        var (model, masks, groups) = GroupedResNet(22);
        using var disposeModel = model;
        masks.UseGroups(groups, minimumUnits: 1, minimumFraction: 0.25);
        using var random = new Generator(1UL);
        for (var i = 0; i < 4; i++)
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.9), PruningScope.Global, PruningCriteria.Magnitude, random);
        }

        // A quarter of 16, 32 and 64 channels: 4, 8 and 16.
        Assert.All(groups.Groups, g => Assert.Equal(g.Units.Count / 4, masks.KeptUnits(g)));
        Assert.Throws<ArgumentException>(() => masks.UseGroups(groups, minimumFraction: 1.0));
    }

    [Fact]
    public void The_pruned_small_ResNet_computes_what_the_same_network_with_those_channels_cut_out_computes()
    {
        var (model, masks, groups) = GroupedResNet(14);
        using var disposeModel = model;
        using var random = new Generator(1UL);

        CutByHand.WarmNorms(model, [8, 1, 28, 28]);
        Pruner.Prune(masks, PruningAmount.ByRate(0.3), PruningScope.Global, PruningCriteria.Magnitude, random);
        using var input = randn(4, 1, 28, 28);
        using var masked = model.call(input);

        // By hand: each group's kept channels; every conv keeps its group's rows and its input group's columns.
        var cut = new CutByHand(model, masks, groups);
        using var noGrad = no_grad();
        var stage = cut.Kept("stem");
        var x = F.relu(cut.Norm(cut.Conv(input, "stem", stage, [0], 1, 1), "stemNorm", stage));
        var strides = new long[] { 1, 2, 2 };
        for (var b = 0; b < 3; b++)
        {
            var inner = cut.Kept($"blocks.{b}.conv1");
            var output = cut.Kept($"blocks.{b}.conv2");
            var main = cut.Norm(cut.Conv(F.relu(cut.Norm(cut.Conv(x, $"blocks.{b}.conv1", inner, stage, strides[b], 1), $"blocks.{b}.norm1", inner)), $"blocks.{b}.conv2", output, inner, 1, 1), $"blocks.{b}.norm2", output);
            var shortcut = b == 0 ? x : cut.Norm(cut.Conv(x, $"blocks.{b}.projection", output, stage, strides[b], 0), $"blocks.{b}.projectionNorm", output);
            x = F.relu(main + shortcut);
            stage = output;
        }

        using var byHand = cut.Linear(x.mean([2, 3]), "head", stage);
        Assert.True(groups.Groups.All(g => masks.KeptUnits(g) < g.Units.Count), "Every group should have lost channels.");
        Assert.True(allclose(masked, byHand, rtol: 1e-4, atol: 1e-5), $"Largest difference {(masked - byHand).abs().max().item<float>()}.");
    }

    [Fact]
    public void Concatenated_branches_keep_their_offsets_and_split_channels_reach_only_their_own_consumer()
    {
        manual_seed(15);
        using var model = new BranchModel();
        using var example = randn(1, 1, 6, 6);
        var groups = DependencyGroups.Trace(model, example);

        // By hand: the split conv's channels 0-1 feed narrow, 2-5 feed wide; the concatenation puts narrow's 3 channels
        // before wide's 5 at the merge's input.
        var split = groups.Groups.Single(g => g.Layers.SequenceEqual(["split"]));
        Assert.Equal(["split.weight[3]", "split.bias[3]", "wide.weight[:, 1]"], split.Units[3].Members.Select(m => m.ToString()));
        Assert.Equal(["split.weight[1]", "split.bias[1]", "narrow.weight[:, 1]"], split.Units[1].Members.Select(m => m.ToString()));
        var wide = groups.Groups.Single(g => g.Layers.SequenceEqual(["wide"]));
        Assert.Equal(5, wide.Units.Count);
        Assert.Equal(["wide.weight[2]", "wide.bias[2]", "merge.weight[:, 5]"], wide.Units[2].Members.Select(m => m.ToString()));
        var narrow = groups.Groups.Single(g => g.Layers.SequenceEqual(["narrow"]));
        Assert.Equal(["narrow.weight[2]", "narrow.bias[2]", "merge.weight[:, 2]"], narrow.Units[2].Members.Select(m => m.ToString()));
    }

    [Fact]
    public void A_grouped_convolution_reads_each_input_channel_in_its_own_groups_rows_and_the_cut_network_computes_the_same()
    {
        manual_seed(19);
        using var model = new GroupedModel();
        using var example = randn(1, 1, 6, 6);
        var groups = DependencyGroups.Trace(model, example);

        // By hand: mix has 2 groups of 2 input channels and 3 output channels; input channel 3 is column 1 of rows 3-5.
        var first = groups.Groups.Single(g => g.Layers.SequenceEqual(["first"]));
        Assert.Equal(["first.weight[3]", "first.bias[3]", "mix.weight[3..5, 1]"], first.Units[3].Members.Select(m => m.ToString()));
        Assert.Equal(["first.weight[0]", "first.bias[0]", "mix.weight[0..2, 0]"], first.Units[0].Members.Select(m => m.ToString()));
        var mix = groups.Groups.Single(g => g.Layers.SequenceEqual(["mix"]));
        Assert.Equal(["mix.weight[4]", "mix.bias[4]", "head.weight[:, 4]"], mix.Units[4].Members.Select(m => m.ToString()));

        using var masks = MaskSet.Attach(model, new MaskOptions());
        masks.UseGroups(groups);
        masks.Remove(first.Units[3]);
        CutByHand.AssertZeroesExactly(masks, [first.Units[3]]);
        using var input = randn(2, 1, 6, 6);
        using var masked = model.call(input);

        // Cut by hand: first keeps channels 0-2; mix's first group reads 0-1 with all its columns, its second reads channel 2
        // with its column 0 only.
        using var noGrad = no_grad();
        var p = model.named_parameters().ToDictionary(q => q.name, q => (Tensor)q.parameter);
        var x = F.relu(F.conv2d(input, p["first.weight"].narrow(0, 0, 3), p["first.bias"].narrow(0, 0, 3), padding: [1, 1]));
        var low = F.conv2d(x.narrow(1, 0, 2), p["mix.weight"].narrow(0, 0, 3), p["mix.bias"].narrow(0, 0, 3), padding: [1, 1]);
        var high = F.conv2d(x.narrow(1, 2, 1), p["mix.weight"].narrow(0, 3, 3).narrow(1, 0, 1), p["mix.bias"].narrow(0, 3, 3), padding: [1, 1]);
        using var byHand = F.linear(F.relu(cat([low, high], 1)).mean([2, 3]), p["head.weight"], p["head.bias"]);
        Assert.True(allclose(masked, byHand, rtol: 1e-4, atol: 1e-5), $"Largest difference {(masked - byHand).abs().max().item<float>()}.");
    }

    [Fact]
    public void Layers_that_take_tokens_before_the_batch_are_traced_along_their_batch_dimension()
    {
        manual_seed(21);
        using var model = new TokensFirstModel();
        using var example = randn(1, 12);
        var groups = DependencyGroups.Trace(model, example);
        var fc1 = Assert.Single(groups.Groups);
        Assert.Equal(6, fc1.Units.Count);
        Assert.Equal(["fc1.weight[2]", "fc1.bias[2]", "fc2.weight[:, 2]"], fc1.Units[2].Members.Select(m => m.ToString()));
    }

    [Fact]
    public void A_LayerNorms_entries_go_with_the_features_they_scale()
    {
        manual_seed(20);
        using var model = new NormedModel();
        using var example = randn(1, 4);
        var groups = DependencyGroups.Trace(model, example);

        // By hand: fc1's feature 2 is scaled by the norm's weight and bias 2 and read by fc2's column 2.
        var fc1 = groups.Groups.Single(g => g.Layers.SequenceEqual(["fc1"]));
        Assert.Equal(6, fc1.Units.Count);
        Assert.Equal(["fc1.weight[2]", "fc1.bias[2]", "norm.weight[2]", "norm.bias[2]", "fc2.weight[:, 2]"], fc1.Units[2].Members.Select(m => m.ToString()));
        Assert.Single(groups.Groups);
    }

    [Fact]
    public void Removing_a_head_zeroes_exactly_its_query_key_and_value_rows_and_the_output_projections_columns()
    {
        manual_seed(16);
        using var model = new TransformerClassifier(side: 28, width: 16);
        var groups = DependencyGroups.Attention(model, heads: 4);
        using var masks = model.AttachMasks();
        masks.UseGroups(groups);
        var heads = groups.Groups.Single(g => g.Units.Count == 4);
        masks.Remove(heads.Units[1]);

        // Head 1 of 4 on a width of 16: rows 4-7 of Q, 20-23 of K, 36-39 of V; columns 4-7 of the output projection.
        long[] rows = [4, 5, 6, 7, 20, 21, 22, 23, 36, 37, 38, 39];
        AssertZeroExactly(masks["encoder.self_attn.in_proj_weight"].Mask, 0, rows);
        AssertZeroExactly(masks["encoder.self_attn.in_proj_bias"].Mask, 0, rows);
        AssertZeroExactly(masks["encoder.self_attn.out_proj.weight"].Mask, 1, [4, 5, 6, 7]);
        var feedForward = groups.Groups.Single(g => g.Units.Count == 32);
        Assert.Equal(["encoder.linear1.weight[9]", "encoder.linear1.bias[9]", "encoder.linear2.weight[:, 9]"], feedForward.Units[9].Members.Select(m => m.ToString()));
        Assert.Throws<ArgumentException>(() => DependencyGroups.Attention(model, heads: 3));
        using var attention = new AttentionModel();
        Assert.Equal(3, groups.With(DependencyGroups.Attention(attention, heads: 2)).Groups.Count);
        Assert.StartsWith("Both sets of groups prune the units of encoder", Assert.Throws<ArgumentException>(() => groups.With(groups)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_attention_without_a_pruned_head_computes_what_the_same_attention_with_that_head_cut_out_computes()
    {
        manual_seed(17);
        using var model = new AttentionModel();
        var groups = DependencyGroups.Attention(model, heads: 2);
        using var masks = MaskSet.Attach(model, new MaskOptions());
        masks.UseGroups(groups);
        masks.Remove(groups.Groups[0].Units[0]);
        using var input = randn(5, 3, 8);
        using var masked = model.call(input);

        // By hand: only head 1 (rows 4-7 of each projection) attends; the output projection reads its columns 4-7.
        using var noGrad = no_grad();
        var p = model.named_parameters().ToDictionary(q => q.name, q => (Tensor)q.parameter);
        Tensor Project(long offset) => F.linear(input, p["attention.in_proj_weight"].narrow(0, offset + 4, 4), p["attention.in_proj_bias"].narrow(0, offset + 4, 4));
        var q = Project(0).permute(1, 0, 2);
        var k = Project(8).permute(1, 0, 2);
        var v = Project(16).permute(1, 0, 2);
        var attended = matmul(softmax(matmul(q, k.transpose(1, 2)) / Math.Sqrt(4), -1), v).permute(1, 0, 2);
        using var byHand = F.linear(attended, p["attention.out_proj.weight"].narrow(1, 4, 4), p["attention.out_proj.bias"]);
        Assert.True(allclose(masked, byHand, rtol: 1e-4, atol: 1e-5), $"Largest difference {(masked - byHand).abs().max().item<float>()}.");
    }

    [Fact]
    public void A_run_by_groups_traces_them_itself_keeps_pruned_channels_zero_through_training_and_says_so_in_its_identity()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 100, test: 100);
        var method = new PruningMethod { Schedule = ScheduleKind.Iterative, Rate = 0.2, Rounds = 2, Groups = true };
        var training = new TrainingSettings { Epochs = 1, Seed = 3, BatchSize = 50 };
        using var run = new PruningRun(() => new SmallResNet(), training, method.ToSettings());
        var result = run.Execute(data);

        var masks = run.Masks!;
        var groups = masks.Groups ?? throw new InvalidOperationException("The run did not use its groups.");
        Assert.Equal(6, groups.Groups.Count);

        // Two rounds of 20% of each group's channels: 16 -> 13 -> 10, 32 -> 26 -> 21, 64 -> 51 -> 41.
        Assert.Equal([10, 10, 21, 21, 41, 41], groups.Groups.Select(masks.KeptUnits).Order());

        // Every slice of every pruned channel, coupled norms included, is still zero after the last round's training.
        CutByHand.AssertPrunedUnitsZero(masks, groups);

        Assert.Equal(masks.WeightsRemaining, result.FinalWeightsRemaining, 12);
        Assert.Contains("\"Groups\": true", method.ToJson(), StringComparison.Ordinal);
        Assert.DoesNotContain("Groups", (method with { Groups = false }).ToJson(), StringComparison.Ordinal);
        Assert.Contains(", Layerwise by dependency groups, rewind ", method.ToString(), StringComparison.Ordinal);

        // The generator writes Groups = true where the schedule declares it, and nothing where it does not.
        Assert.True(SmallResNet.PruneSchedules.ImpChannels.Groups);
        Assert.True(SmallResNet.PruneSchedules.EveryEpochChannels.Groups);
        Assert.False(SmallResNet.PruneSchedules.Imp.Groups);
    }

    [Fact]
    public void A_model_pruned_by_groups_reads_back_from_its_file_with_every_coupled_mask_counted_as_before()
    {
        var folder = Directory.CreateTempSubdirectory("lottery-groups-");
        try
        {
            var path = Path.Combine(folder.FullName, "resnet.pruned");
            var (model, masks, _) = GroupedResNet(18);
            Dictionary<string, (float[] Mask, bool Coupled)> saved;
            double remaining;
            using (model)
            {
                using var random = new Generator(1UL);
                Pruner.Prune(masks, PruningAmount.ByRate(0.4), PruningScope.Global, PruningCriteria.Magnitude, random);
                PrunedModel.Save(model, masks, path);
                saved = masks.Weights.ToDictionary(w => w.Name, w => (w.Mask.data<float>().ToArray(), w.IsCoupled));
                remaining = masks.WeightsRemaining;
            }

            using var loaded = new SmallResNet();
            loaded.LoadPrunedModel(path);
            Assert.Equal(saved.Keys.Order(), loaded.Masks!.Weights.Select(w => w.Name).Order());
            Assert.Contains(loaded.Masks.Weights, w => w.Name == "blocks.2.norm1.bias" && w.IsCoupled);
            foreach (var weight in loaded.Masks.Weights)
            {
                Assert.Equal(saved[weight.Name].Mask, weight.Mask.data<float>().ToArray());
                Assert.Equal(saved[weight.Name].Coupled, weight.IsCoupled);
            }

            Assert.Equal(remaining, loaded.Masks.WeightsRemaining, 12);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_run_prunes_a_transformers_heads_and_feed_forward_neurons_by_the_groups_it_is_given()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 100, test: 100);
        using var shape = new TransformerClassifier(side: 28, width: 16);
        var attention = DependencyGroups.Attention(shape, heads: 4);
        var method = new PruningMethod { Schedule = ScheduleKind.Iterative, Rate = 0.25, Rounds = 1, Groups = true };
        var settings = method.ToSettings() with { DependencyGroups = attention };
        using var run = new PruningRun(() => new TransformerClassifier(side: 28, width: 16), new TrainingSettings { Epochs = 1, Seed = 4, BatchSize = 50 }, settings);
        run.Execute(data);

        // One round of 25%: one of the 4 heads, 8 of the 32 feed-forward neurons; every slice of them still zero after training.
        var masks = run.Masks!;
        Assert.Equal([3, 24], attention.Groups.Select(masks.KeptUnits).Order());
        CutByHand.AssertPrunedUnitsZero(masks, attention);
    }

    private static long SliceSize(MaskSet masks, GroupMember member) =>
        member.Indices.Count * (masks[member.Parameter].Count / masks[member.Parameter].Parameter.shape[member.Dimension]);

    private static void AssertZeroExactly(Tensor mask, int dimension, long[] indices)
    {
        using var expected = ones_like(mask);
        expected.index_fill_(dimension, tensor(indices), 0);
        Assert.True(expected.eq(mask).all().item<bool>(), "The mask zeroes other entries than the head's.");
    }

    /// <summary>A conv split in two (channels 0-1 and 2-5), each part through its own conv, concatenated into a 1x1 merge.</summary>
    private sealed class BranchModel : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d split = nn.Conv2d(1, 6, 3, padding: 1);
        private readonly Conv2d narrow = nn.Conv2d(2, 3, 3, padding: 1);
        private readonly Conv2d wide = nn.Conv2d(4, 5, 3, padding: 1);
        private readonly Conv2d merge = nn.Conv2d(8, 4, 1);
        private readonly Linear head = nn.Linear(4, 2);

        public BranchModel()
            : base(nameof(BranchModel)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = F.relu(split.call(input));
            var joined = cat([F.relu(narrow.call(x.narrow(1, 0, 2))), F.relu(wide.call(x.narrow(1, 2, 4)))], 1);
            return head.call(F.relu(merge.call(joined)).mean([2, 3])).MoveToOuterDisposeScope();
        }
    }

    /// <summary>A conv of 4 channels into a grouped conv (2 groups: 4 to 6 channels), the mean, a Linear head.</summary>
    private sealed class GroupedModel : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d first = nn.Conv2d(1, 4, 3, padding: 1);
        private readonly Conv2d mix = nn.Conv2d(4, 6, 3, padding: 1, groups: 2);
        private readonly Linear head = nn.Linear(6, 2);

        public GroupedModel()
            : base(nameof(GroupedModel)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return head.call(F.relu(mix.call(F.relu(first.call(input)))).mean([2, 3])).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Three tokens of 4 features, laid out [tokens, batch, features] as TorchSharp's attention takes them: Linear, ReLU, Linear, the tokens' mean.</summary>
    private sealed class TokensFirstModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc1 = nn.Linear(4, 6);
        private readonly Linear fc2 = nn.Linear(6, 2);

        public TokensFirstModel()
            : base(nameof(TokensFirstModel)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var tokens = input.view(input.shape[0], 3, 4).transpose(0, 1);
            return fc2.call(F.relu(fc1.call(tokens))).mean([0]).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Linear, LayerNorm, ReLU, Linear.</summary>
    private sealed class NormedModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc1 = nn.Linear(4, 6);
        private readonly LayerNorm norm = nn.LayerNorm(6);
        private readonly Linear fc2 = nn.Linear(6, 3);

        public NormedModel()
            : base(nameof(NormedModel)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return fc2.call(F.relu(norm.call(fc1.call(input)))).MoveToOuterDisposeScope();
        }
    }

    /// <summary>One MultiheadAttention of width 8 with 2 heads, self-attending over [tokens, batch, width].</summary>
    private sealed class AttentionModel : nn.Module<Tensor, Tensor>
    {
        private readonly MultiheadAttention attention = nn.MultiheadAttention(8, 2);

        public AttentionModel()
            : base(nameof(AttentionModel)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var (output, weights) = attention.call(input, input, input, null, false, null);
            weights?.Dispose();
            return output.MoveToOuterDisposeScope();
        }
    }
}
