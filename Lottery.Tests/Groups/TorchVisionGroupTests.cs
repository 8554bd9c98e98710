using Lottery.Groups;
using Lottery.Masks;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Lottery.Tests.Groups;

/// <summary>Dependency groups of TorchVision's models, whose forward the generator never sees, through the runtime API.</summary>
public class TorchVisionGroupTests
{
    [Fact]
    public void ResNet18s_groups_are_its_four_stages_and_each_blocks_first_convolution()
    {
        manual_seed(1);
        using var model = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        using var example = randn(1, 3, 8, 8);
        var groups = DependencyGroups.Trace(model, example);

        // By hand, from ResNet-18's layout: a stage's second convolutions and its downsample projection share their
        // channels through the residual adds (the first stage with the stem), each block's first conv is a group alone,
        // and fc is the output.
        (string Layers, int Units)[] expected =
        [
            ("conv1 + layer1.0.conv2 + layer1.1.conv2", 64), ("layer1.0.conv1", 64), ("layer1.1.conv1", 64),
            ("layer2.0.conv1", 128), ("layer2.0.conv2 + layer2.0.downsample.0 + layer2.1.conv2", 128), ("layer2.1.conv1", 128),
            ("layer3.0.conv1", 256), ("layer3.0.conv2 + layer3.0.downsample.0 + layer3.1.conv2", 256), ("layer3.1.conv1", 256),
            ("layer4.0.conv1", 512), ("layer4.0.conv2 + layer4.0.downsample.0 + layer4.1.conv2", 512), ("layer4.1.conv1", 512),
        ];
        Assert.Equal(expected.OrderBy(e => e.Layers), groups.Groups.Select(g => (string.Join(" + ", g.Layers), g.Units.Count)).OrderBy(e => e.Item1));

        // Channel 3 of the first stage: the stem's row and norm, both blocks' second convs and norms, and the inputs of
        // every conv that reads the stage: both blocks' first convs and the second stage's first conv and projection.
        GroupMember[] channel3 =
        [
            new("conv1.weight", 0, [3]), new("bn1.weight", 0, [3]), new("bn1.bias", 0, [3]),
            new("layer1.0.conv1.weight", 1, [3]), new("layer1.0.conv2.weight", 0, [3]), new("layer1.0.bn2.weight", 0, [3]), new("layer1.0.bn2.bias", 0, [3]),
            new("layer1.1.conv1.weight", 1, [3]), new("layer1.1.conv2.weight", 0, [3]), new("layer1.1.bn2.weight", 0, [3]), new("layer1.1.bn2.bias", 0, [3]),
            new("layer2.0.conv1.weight", 1, [3]), new("layer2.0.downsample.0.weight", 1, [3]),
        ];
        Assert.Equal(channel3.Select(m => m.ToString()).Order(), groups.Groups.Single(g => g.Layers[0] == "conv1").Units[3].Members.Select(m => m.ToString()).Order());
    }

    [Fact]
    public void Global_channel_pruning_of_ResNet18_to_a_tenth_keeps_every_layer_alive_and_the_output_depends_on_the_input()
    {
        manual_seed(2);
        using var model = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        using var example = randn(1, 3, 8, 8);
        var groups = DependencyGroups.Trace(model, example);
        using var masks = MaskSet.Attach(model, new MaskOptions());
        masks.UseGroups(groups);
        GroupPruner.Prune(masks, groups, 0.9, PruningScope.Global);

        Assert.All(groups.Groups, g => Assert.True(g.Units.Count(u => masks.IsKept(u)) >= 1, $"{string.Join(" + ", g.Layers)} lost every unit."));
        var kept = groups.Groups.Sum(g => g.Units.Count(u => masks.IsKept(u)));
        Assert.Equal(Math.Round(0.1 * groups.Groups.Sum(g => g.Units.Count)), kept);
        CutByHand.AssertOutputDependsOnInput(model, [2, 3, 8, 8]);
    }

    [Fact]
    public void MobileNetV2s_groups_follow_each_channel_through_its_depthwise_filter_and_the_residual_adds_of_each_stage()
    {
        manual_seed(3);
        using var model = TorchSharp.torchvision.models.mobilenet_v2(num_classes: 10);
        using var example = randn(1, 3, 8, 8);
        var groups = DependencyGroups.Trace(model, example);
        var found = groups.Groups.ToDictionary(g => string.Join(" + ", g.Layers), g => g.Units.Count);

        // By hand, from MobileNetV2's table (t, c, n, s): each inverted residual's expand conv is a group of its own (the
        // first block, with no expansion, has none); the project convs of a stage's blocks share their channels through the
        // adds; the last 1x1 conv (1280) feeds the classifier.
        Assert.Equal(32, found["features.0.0"]);
        Assert.Equal(16, found["features.1.conv.1"]);
        Assert.Equal(24, found["features.2.conv.2 + features.3.conv.2"]);
        Assert.Equal(32, found["features.4.conv.2 + features.5.conv.2 + features.6.conv.2"]);
        Assert.Equal(64, found["features.7.conv.2 + features.8.conv.2 + features.9.conv.2 + features.10.conv.2"]);
        Assert.Equal(96, found["features.11.conv.2 + features.12.conv.2 + features.13.conv.2"]);
        Assert.Equal(160, found["features.14.conv.2 + features.15.conv.2 + features.16.conv.2"]);
        Assert.Equal(320, found["features.17.conv.2"]);
        Assert.Equal(1280, found["features.18.0"]);
        Assert.Equal(9 + 16, groups.Groups.Count);   // the nine above and the sixteen expand convs

        // The stem's channel 7 runs through the first block's depthwise filter into its project conv.
        GroupMember[] channel7 =
        [
            new("features.0.0.weight", 0, [7]), new("features.0.1.weight", 0, [7]), new("features.0.1.bias", 0, [7]),
            new("features.1.conv.0.0.weight", 0, [7]), new("features.1.conv.0.1.weight", 0, [7]), new("features.1.conv.0.1.bias", 0, [7]),
            new("features.1.conv.1.weight", 1, [7]),
        ];
        Assert.Equal(channel7.Select(m => m.ToString()).Order(), groups.Groups.Single(g => g.Layers[0] == "features.0.0").Units[7].Members.Select(m => m.ToString()).Order());
    }

    [Fact]
    public void ResNet18_without_one_channel_of_each_group_computes_what_ResNet18_with_those_channels_cut_out_computes()
    {
        manual_seed(4);
        using var model = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        var (masks, groups) = CutByHand.RemoveOneUnitPerGroup(model, [1, 3, 8, 8], [4, 3, 32, 32], (g, i) => g.Units[(5 * i) + 3]);
        using var disposeMasks = masks;
        using var input = randn(2, 3, 32, 32);
        using var masked = model.call(input);

        // ResNet-18 written again on the kept channels: stem, max pool, four stages of two basic blocks, mean, fc.
        var cut = new CutByHand(model, masks, groups);
        using var noGrad = no_grad();
        var stage = cut.Kept("conv1");
        var x = F.max_pool2d(F.relu(cut.Norm(cut.Conv(input, "conv1", stage, null, 2, 3), "bn1", stage)), 3, 2, 1);
        for (var layer = 1; layer <= 4; layer++)
        {
            for (var block = 0; block < 2; block++)
            {
                var name = $"layer{layer}.{block}";
                var stride = layer > 1 && block == 0 ? 2 : 1;
                var inner = cut.Kept($"{name}.conv1");
                var output = cut.Kept($"{name}.conv2");
                var main = cut.Norm(cut.Conv(F.relu(cut.Norm(cut.Conv(x, $"{name}.conv1", inner, stage, stride, 1), $"{name}.bn1", inner)), $"{name}.conv2", output, inner, 1, 1), $"{name}.bn2", output);
                var shortcut = layer > 1 && block == 0 ? cut.Norm(cut.Conv(x, $"{name}.downsample.0", output, stage, stride, 0), $"{name}.downsample.1", output) : x;
                x = F.relu(main + shortcut);
                stage = output;
            }
        }

        using var byHand = cut.Linear(x.mean([2, 3]), "fc", stage);
        Assert.All(groups.Groups, g => Assert.Equal(g.Units.Count - 1, masks.KeptUnits(g)));
        Assert.True(allclose(masked, byHand, rtol: 1e-4, atol: 1e-5), $"Largest difference {(masked - byHand).abs().max().item<float>()}.");
    }

    [Fact]
    public void MobileNetV2_without_one_channel_of_each_group_computes_what_MobileNetV2_with_those_channels_cut_out_computes()
    {
        manual_seed(5);
        using var model = TorchSharp.torchvision.models.mobilenet_v2(num_classes: 10);
        var (masks, groups) = CutByHand.RemoveOneUnitPerGroup(model, [1, 3, 8, 8], [4, 3, 32, 32], (g, i) => g.Units[i % g.Units.Count]);
        using var disposeMasks = masks;
        using var input = randn(2, 3, 32, 32);
        using var masked = model.call(input);

        // MobileNetV2 written again on the kept channels, from its table (t, c, n, s): a stem, seventeen inverted
        // residuals (expand 1x1 unless t is 1, depthwise 3x3, project 1x1; the input added when the stride is 1 and the
        // width is kept), a last 1x1 conv, the mean, the classifier.
        var cut = new CutByHand(model, masks, groups);
        using var noGrad = no_grad();
        var stage = cut.Kept("features.0.0");
        var x = F.relu6(cut.Norm(cut.Conv(input, "features.0.0", stage, null, 2, 1), "features.0.1", stage));
        (int T, int C, int N, int S)[] table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];
        var index = 1;
        var width = 32;
        foreach (var (t, c, n, s) in table)
        {
            for (var i = 0; i < n; i++, index++)
            {
                var name = $"features.{index}.conv";
                var stride = i == 0 ? s : 1;
                var h = x;
                var hidden = stage;
                var next = 0;
                if (t != 1)
                {
                    hidden = cut.Kept($"{name}.0.0");
                    h = F.relu6(cut.Norm(cut.Conv(h, $"{name}.0.0", hidden, stage, 1, 0), $"{name}.0.1", hidden));
                    next = 1;
                }

                h = F.relu6(cut.Norm(cut.Conv(h, $"{name}.{next}.0", hidden, null, stride, 1, depthwise: true), $"{name}.{next}.1", hidden));
                var output = cut.Kept($"{name}.{next + 1}");
                h = cut.Norm(cut.Conv(h, $"{name}.{next + 1}", output, hidden, 1, 0), $"{name}.{next + 2}", output);
                x = stride == 1 && width == c ? x + h : h;
                width = c;
                stage = output;
            }
        }

        var last = cut.Kept("features.18.0");
        x = F.relu6(cut.Norm(cut.Conv(x, "features.18.0", last, stage, 1, 0), "features.18.1", last));
        using var byHand = cut.Linear(x.mean([2, 3]), "classifier.1", last);
        Assert.True(allclose(masked, byHand, rtol: 1e-4, atol: 1e-5), $"Largest difference {(masked - byHand).abs().max().item<float>()}.");
    }
}
