using Lottery.Examples.Models;
using Lottery.Groups;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.Tests.Groups;

/// <summary>Dependency groups of the reference models with blocks, against lists written by hand from their constructors and forwards.</summary>
public class DependencyGroupTests
{
    private static DependencyGroups TraceResNet(SmallResNet model)
    {
        using var example = randn(1, 1, 28, 28);
        return DependencyGroups.Trace(model, example);
    }

    [Fact]
    public void The_small_ResNets_groups_are_its_stages_and_its_blocks_inner_convolutions()
    {
        manual_seed(1);
        using var model = new SmallResNet();
        var groups = TraceResNet(model);

        // By hand: a block's first conv is a group of its own; a stage's second convs, its projection and (for the first
        // stage, whose block keeps the width) the stem share their channels through the residual adds. The head is the output.
        (string[] Layers, int Units)[] expected =
        [
            (["stem", "blocks.0.conv2"], 16),
            (["blocks.0.conv1"], 16),
            (["blocks.1.conv1"], 32),
            (["blocks.1.conv2", "blocks.1.projection"], 32),
            (["blocks.2.conv1"], 64),
            (["blocks.2.conv2", "blocks.2.projection"], 64),
        ];
        Assert.Equal(
            expected.Select(e => (string.Join(" + ", e.Layers), e.Units)).OrderBy(e => e.Item1),
            groups.Groups.Select(g => (string.Join(" + ", g.Layers), g.Units.Count)).OrderBy(e => e.Item1));

        // Channel 5 of the second stage: both branches' rows and norms, and the third stage's two input columns.
        var stage = groups.Groups.Single(g => g.Layers[0] == "blocks.1.conv2");
        GroupMember[] channel5 =
        [
            new("blocks.1.conv2.weight", 0, [5]), new("blocks.1.projection.weight", 0, [5]),
            new("blocks.1.norm2.weight", 0, [5]), new("blocks.1.norm2.bias", 0, [5]),
            new("blocks.1.projectionNorm.weight", 0, [5]), new("blocks.1.projectionNorm.bias", 0, [5]),
            new("blocks.2.conv1.weight", 1, [5]), new("blocks.2.projection.weight", 1, [5]),
        ];
        Assert.Equal(channel5.Select(m => m.ToString()).Order(), stage.Units[5].Members.Select(m => m.ToString()).Order());

        // The last stage feeds the head through the mean over positions: channel c is the head's input feature c.
        var last = groups.Groups.Single(g => g.Layers[0] == "blocks.2.conv2");
        Assert.Contains(new GroupMember("head.weight", 1, [7]), last.Units[7].Members);
        Assert.Contains("stem + blocks.0.conv2: 16 units", groups.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_one_unit_of_each_group_zeroes_exactly_its_slices_and_leaves_the_output_independent_of_that_channel()
    {
        manual_seed(2);
        using var model = new SmallResNet();
        var groups = TraceResNet(model);
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        var removed = groups.Groups.Select(g => g.Units[3]).ToList();
        foreach (var unit in removed)
        {
            masks.Remove(unit);
        }

        // Exactly the listed slices are zero in the masks, nothing else.
        CutByHand.AssertZeroesExactly(masks, removed);

        // A removed channel carries nothing: the output does not change whatever the removed channels' norms have learned
        // of their inputs (their running statistics are all that is left of them).
        model.eval();
        using var input = randn(4, 1, 28, 28);
        using var before = model.call(input);
        using (var noGrad = no_grad())
        {
            foreach (var (name, buffer) in model.named_buffers().Where(b => b.name.EndsWith("running_mean", StringComparison.Ordinal)))
            {
                var norm = name[..name.LastIndexOf('.')];
                foreach (var member in removed.SelectMany(u => u.Members).Where(m => m.Parameter == $"{norm}.weight"))
                {
                    buffer.index_fill_(0, tensor(member.Indices.ToArray()), 123.0);
                }
            }
        }

        using var after = model.call(input);
        Assert.True(allclose(before, after, rtol: 0, atol: 1e-6), "The output depends on a removed channel.");
    }

    [Fact]
    public void Global_pruning_to_a_tenth_of_the_units_keeps_every_group_alive_and_the_output_depends_on_the_input()
    {
        manual_seed(3);
        using var model = new SmallResNet();
        var groups = TraceResNet(model);
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        var total = groups.Groups.Sum(g => g.Units.Count);
        var removed = GroupPruner.Prune(masks, groups, 0.9, PruningScope.Global);

        Assert.Equal((int)Math.Round(0.9 * total), removed.Count);
        Assert.All(groups.Groups, g => Assert.True(g.Units.Count(u => masks.IsKept(u)) >= 1, $"{string.Join(" + ", g.Layers)} lost every unit."));
        CutByHand.AssertOutputDependsOnInput(model, [2, 1, 28, 28]);
    }

    [Fact]
    public void A_minimum_above_a_groups_units_is_one_line_naming_the_group()
    {
        manual_seed(4);
        using var model = new SmallResNet();
        var groups = TraceResNet(model);
        var masks = model.AttachMasks();
        var error = Assert.Throws<ArgumentException>(() => GroupPruner.Prune(masks, groups, 0.5, PruningScope.Layerwise, minimumUnits: 20));
        Assert.StartsWith("A minimum of 20 units per group cannot be kept: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_small_MobileNets_groups_carry_each_channel_through_its_depthwise_filter_and_across_its_residual_adds()
    {
        manual_seed(5);
        using var model = new SmallMobileNet();
        using var example = randn(1, 1, 28, 28);
        var groups = DependencyGroups.Trace(model, example);

        // By hand: an expand conv's channel goes through its norm, the depthwise filter and its norm into the project
        // conv's column; a project conv shares its channels with what its block adds to (the stem, or the previous block's).
        (string Layers, int Units)[] expected =
        [
            ("stem + blocks.0.project", 16), ("blocks.0.expand", 64), ("blocks.1.expand", 64),
            ("blocks.1.project + blocks.2.project", 24), ("blocks.2.expand", 96), ("blocks.3.expand", 96), ("blocks.3.project", 32),
        ];
        Assert.Equal(expected.OrderBy(e => e.Layers), groups.Groups.Select(g => (string.Join(" + ", g.Layers), g.Units.Count)).OrderBy(e => e.Item1));

        GroupMember[] channel9 =
        [
            new("blocks.1.expand.weight", 0, [9]), new("blocks.1.expandNorm.weight", 0, [9]), new("blocks.1.expandNorm.bias", 0, [9]),
            new("blocks.1.depthwise.weight", 0, [9]), new("blocks.1.depthwiseNorm.weight", 0, [9]), new("blocks.1.depthwiseNorm.bias", 0, [9]),
            new("blocks.1.project.weight", 1, [9]),
        ];
        Assert.Equal(channel9.Select(m => m.ToString()).Order(), groups.Groups.Single(g => g.Layers[0] == "blocks.1.expand").Units[9].Members.Select(m => m.ToString()).Order());
    }

    [Fact]
    public void A_model_with_a_module_the_tracer_does_not_follow_is_refused_in_one_line_naming_it()
    {
        using var model = nn.Sequential(("down", nn.Conv2d(1, 4, 3)), ("up", nn.ConvTranspose2d(4, 2, 3)));
        using var example = randn(1, 1, 8, 8);
        var error = Assert.Throws<NotSupportedException>(() => DependencyGroups.Trace(model, example));
        Assert.StartsWith("Sequential: dependency groups are not traced through up (ConvTranspose2d) yet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_pruned_by_groups_traces_into_the_groups_it_was_pruned_by_though_its_pruned_channels_norms_and_filters_are_zero()
    {
        // A pruned channel's norm weight and bias, and its depthwise filter, are zero: a trace that ran them as they are would
        // lose the channel's mark there and split its group (compaction traces the pruned model).
        foreach (var model in new nn.Module<Tensor, Tensor>[] { new SmallResNet(), new SmallMobileNet() })
        {
            using var disposeModel = model;
            manual_seed(31);
            using var example = randn(1, 1, 28, 28);
            var groups = DependencyGroups.Trace(model, example);
            using var masks = MaskSet.Attach(model, new MaskOptions());
            masks.UseGroups(groups);
            GroupPruner.Prune(masks, groups, 0.5, PruningScope.Global);
            Assert.Contains(masks.Weights, w => w.IsCoupled && w.Remaining < w.Count);

            var again = DependencyGroups.Trace(model, example);

            Assert.Equal(groups.Describe(), again.Describe());
            Assert.Equal(groups.Groups, again.Groups);
        }
    }
}
