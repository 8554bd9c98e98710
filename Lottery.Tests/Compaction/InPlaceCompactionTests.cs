using Lottery.Compaction;
using Lottery.Examples.Models;
using Lottery.Groups;
using Lottery.Masks;
using Lottery.Tests.Groups;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Compaction;

/// <summary>
/// Compaction in place of models built from blocks: after pruning by dependency groups, the pruned channels leave every
/// layer they span, the model's own forward runs on the smaller layers and computes what the masked model computed, and
/// the parameters left are those a hand count gives from the channels kept.
/// </summary>
public class InPlaceCompactionTests
{
    [Fact]
    public void The_small_ResNet_pruned_by_groups_compacts_in_place_to_the_hand_count_and_classifies_every_test_image_as_before()
    {
        manual_seed(21);
        using var model = new SmallResNet();
        using var example = randn(1, 1, 28, 28);
        var (groups, masks) = PruneByGroups(model, example, [16, 1, 28, 28], 0.5, PruningScope.Global);
        var kept = groups.Groups.ToDictionary(g => g.Layers[0], masks.KeptUnits);
        using var data = TestData.SmallDigits(train: 10, validation: 10, test: 500);
        model.eval();
        using var before = model.call(data.Test.Inputs).detach();

        var report = Compactor.CompactInPlace(model, example);

        // By hand, from the layout: a 3x3 stem, three basic blocks (the last two with 1x1 projections), no conv biases,
        // every norm a weight and a bias per channel, a Linear head of 10.
        long s1 = kept["stem"], a = kept["blocks.0.conv1"], b = kept["blocks.1.conv1"], s2 = kept["blocks.1.conv2"], c = kept["blocks.2.conv1"], s3 = kept["blocks.2.conv2"];
        var expected = (9 * s1) + (2 * s1)
            + (9 * s1 * a) + (2 * a) + (9 * a * s1) + (2 * s1)
            + (9 * s1 * b) + (2 * b) + (9 * b * s2) + (2 * s2) + (s1 * s2) + (2 * s2)
            + (9 * s2 * c) + (2 * c) + (9 * c * s3) + (2 * s3) + (s2 * s3) + (2 * s3)
            + (s3 * 10) + 10;
        Assert.Equal(expected, report.ParametersAfter);
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
        Assert.True(report.ParametersAfter < report.ParametersBefore / 2, report.Describe());
        Assert.All(report.Groups, g => Assert.Null(g.KeptBecause));

        using var after = model.call(data.Test.Inputs).detach();
        Assert.True((after - before).abs().max().item<float>() <= 1e-5, $"largest difference {(after - before).abs().max().item<float>()}");
        Assert.Equal(TestData.Values(before.argmax(1)), TestData.Values(after.argmax(1)));

        // The masks followed their parameters, and the set counts the smaller model.
        Assert.All(masks.Weights, w => Assert.Equal(w.Parameter.shape, w.Mask.shape));
        Assert.Equal(masks.Weights.Where(w => w.IsCounted).Sum(w => w.Parameter.numel()), masks.Count);
        Assert.Null(masks.Groups);
    }

    [Fact]
    public void TorchVisions_ResNet18_at_half_its_channels_compacts_to_the_hand_count_and_computes_what_the_masked_model_computes()
    {
        manual_seed(22);
        using var model = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        using var example = randn(1, 3, 8, 8);
        var (groups, masks) = PruneByGroups(model, example, [8, 3, 32, 32], 0.5, PruningScope.Layerwise);
        var kept = groups.Groups.ToDictionary(g => g.Layers[0], masks.KeptUnits);
        using var inputs = randn(16, 3, 32, 32);
        model.eval();
        using var before = model.call(inputs).detach();

        var report = Compactor.CompactInPlace(model, example, masks);

        // By hand, from ResNet-18's layout: a 7x7 stem, per stage two basic blocks of two 3x3 convs (no biases), a 1x1
        // projection opening stages 2-4, a weight and a bias per norm channel, a Linear of 10.
        long[] stage = [kept["conv1"], kept["layer2.0.conv2"], kept["layer3.0.conv2"], kept["layer4.0.conv2"]];
        long expected = (49 * 3 * stage[0]) + (2 * stage[0]);
        for (var s = 0; s < 4; s++)
        {
            var input = s == 0 ? stage[0] : stage[s - 1];
            for (var block = 0; block < 2; block++)
            {
                long inner = kept[$"layer{s + 1}.{block}.conv1"];
                var blockInput = block == 0 ? input : stage[s];
                expected += (9 * blockInput * inner) + (2 * inner) + (9 * inner * stage[s]) + (2 * stage[s]);
                if (s > 0 && block == 0)
                {
                    expected += (input * stage[s]) + (2 * stage[s]);
                }
            }
        }

        expected += (stage[3] * 10) + 10;
        Assert.Equal(expected, report.ParametersAfter);
        Assert.InRange(report.ParametersAfter, report.ParametersBefore / 5, report.ParametersBefore / 3);

        using var after = model.call(inputs).detach();
        Assert.True((after - before).abs().max().item<float>() <= 1e-5, $"largest difference {(after - before).abs().max().item<float>()}");
        Assert.Equal(TestData.Values(before.argmax(1)), TestData.Values(after.argmax(1)));
    }

    [Fact]
    public void MobileNetV2s_depthwise_filters_stay_depthwise_and_every_layer_keeps_exactly_its_groups_kept_channels()
    {
        manual_seed(23);
        using var model = TorchSharp.torchvision.models.mobilenet_v2(num_classes: 10);
        using var example = randn(1, 3, 8, 8);
        var (groups, masks) = PruneByGroups(model, example, [8, 3, 32, 32], 0.3, PruningScope.Layerwise);
        var kept = groups.Groups.SelectMany(g => g.Layers.Select(layer => (layer, masks.KeptUnits(g)))).ToDictionary(p => p.layer, p => (long)p.Item2);
        using var inputs = randn(8, 3, 32, 32);
        model.eval();
        using var before = model.call(inputs).detach();

        Compactor.CompactInPlace(model, groups, masks, check: example);

        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var (layer, units) in kept)
        {
            Assert.Equal(units, ((Conv2d)modules[layer]).out_channels);
            Assert.Equal(units, ((Conv2d)modules[layer]).weight.shape[0]);
        }

        // Each inverted residual's depthwise conv (features.N.conv.1.0) has as many groups as the expand conv before it keeps.
        foreach (var (name, module) in modules.Where(m => m.Value is Conv2d { groups: > 1 }))
        {
            var conv = (Conv2d)module;
            Assert.Equal(conv.in_channels, conv.groups);
            Assert.Equal(conv.out_channels, conv.groups);
            var expand = name.Replace("conv.1.0", "conv.0.0", StringComparison.Ordinal);
            if (kept.TryGetValue(expand, out var expanded))
            {
                Assert.Equal(expanded, conv.groups);
            }
        }

        using var after = model.call(inputs).detach();
        Assert.True((after - before).abs().max().item<float>() <= 1e-5, $"largest difference {(after - before).abs().max().item<float>()}");
        Assert.Equal(TestData.Values(before.argmax(1)), TestData.Values(after.argmax(1)));
    }

    [Fact]
    public void A_forward_that_fails_on_the_smaller_layers_puts_the_model_back_as_it_was_and_says_so()
    {
        manual_seed(24);
        using var model = new FixedWidthNet();
        using var example = randn(1, 1, 8, 8);
        var (groups, masks) = PruneByGroups(model, example, null, 0.5, PruningScope.Layerwise);
        using var before = model.call(example).detach();
        var shapes = model.parameters().Select(p => p.shape).ToList();

        var error = Assert.Throws<CompactionMismatchException>(() => Compactor.CompactInPlace(model, example, masks));

        Assert.Contains("FixedWidthNet", error.Message);
        Assert.Contains("put back", error.Message);
        Assert.Equal(shapes, model.parameters().Select(p => p.shape).ToList());
        Assert.Equal(8, ((Conv2d)model.named_modules().Single(m => m.name == "conv").module).out_channels);
        using var after = model.call(example).detach();
        Assert.True(after.eq(before).all().item<bool>());
        Assert.Same(groups, masks.Groups);
    }

    [Fact]
    public void Pruned_features_a_LayerNorm_normalizes_over_stay_and_the_report_says_why()
    {
        manual_seed(25);
        using var model = new NormedMlp();
        using var example = randn(1, 12);
        var (groups, masks) = PruneByGroups(model, example, null, 0.5, PruningScope.Layerwise);
        using var inputs = randn(32, 12);
        using var before = model.call(inputs).detach();

        var report = Compactor.CompactInPlace(model, example, masks);

        var normed = report.Groups.Single(g => g.Layers.Contains("first"));
        Assert.Equal(16, normed.UnitsAfter);
        Assert.Equal(8, normed.Pruned);
        Assert.Contains("norm: a LayerNorm normalizes over all its features", normed.KeptBecause);
        Assert.Contains("8 pruned units kept", report.Describe());
        var plain = report.Groups.Single(g => g.Layers.Contains("second"));
        Assert.Equal(8, plain.UnitsAfter);
        using var after = model.call(inputs).detach();
        Assert.True((after - before).abs().max().item<float>() <= 1e-5);
    }

    [Fact]
    public void A_compacted_model_saved_loads_into_a_fresh_instance_of_its_class_resized_to_it_and_computes_the_same_outputs()
    {
        manual_seed(26);
        using var model = new SmallResNet();
        using var example = randn(1, 1, 28, 28);
        var (groups, masks) = PruneByGroups(model, example, [16, 1, 28, 28], 0.4, PruningScope.Layerwise);
        Compactor.CompactInPlace(model, example);
        var path = Path.Combine(Path.GetTempPath(), $"lottery-in-place-{Guid.NewGuid():N}.compacted");
        CompactedModel.Save(model, path);
        using var deleteFile = new DeleteOnDispose(path);
        using var inputs = randn(64, 1, 28, 28);
        model.eval();
        using var expected = model.call(inputs).detach();

        // By the class the file names, as the command line loads it, and into an instance given, as a program does.
        var (loaded, kind) = SavedModels.Load(path);
        using var disposeLoaded = loaded;
        using var given = new SmallResNet();
        given.AttachMasks();
        CompactedModel.Load(given, path);

        Assert.Equal(ArtifactKind.CompactedModel, kind);
        foreach (var fresh in new nn.Module<Tensor, Tensor>[] { loaded, given })
        {
            Assert.Equal(model.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))), fresh.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))));
            fresh.eval();
            using var actual = fresh.call(inputs).detach();
            Assert.True(actual.eq(expected).all().item<bool>(), "A loaded compacted model computes other outputs.");
            Assert.Equal(masks.Remaining, ((IPrunableModel)fresh).Masks!.Remaining);
        }

        // The file is smaller than the pruned model's, and a loader of another kind says which to use.
        using var other = new SmallResNet();
        var wrong = Assert.Throws<InvalidDataException>(() => PrunedModel.Load(other, path, other.AttachMasks()));
        Assert.Contains("is a compacted model", wrong.Message);
        Assert.Contains("CompactedModel.Load", wrong.Message);
        using var resnet = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        var foreign = Assert.Throws<InvalidDataException>(() => CompactedModel.Load(resnet, path));
        Assert.DoesNotContain('\n', foreign.Message);
        Assert.Contains("the class it was compacted from", foreign.Message);
    }

    [Fact]
    public void The_compact_command_compacts_a_pruned_model_without_a_chain_in_place_and_writes_a_file_that_loads_into_its_class()
    {
        manual_seed(27);
        using var model = new SmallResNet();
        using var example = randn(1, 1, 28, 28);
        var (groups, masks) = PruneByGroups(model, example, [16, 1, 28, 28], 0.5, PruningScope.Global);
        var pruned = Path.Combine(Path.GetTempPath(), $"lottery-cli-in-place-{Guid.NewGuid():N}.pruned");
        var compacted = Path.ChangeExtension(pruned, ".compacted");
        using var deletePruned = new DeleteOnDispose(pruned);
        using var deleteCompacted = new DeleteOnDispose(compacted);
        model.SavePrunedModel(pruned);

        var (missingCode, missing) = Lottery.Tests.Experiments.RunCliTests.Cli("compact", pruned);
        Assert.NotEqual(0, missingCode);
        Assert.Contains("SmallResNet declares no [Chain]", missing);
        Assert.Contains("--input-shape", missing);
        Assert.False(File.Exists(compacted));
        var (wrongCode, wrong) = Lottery.Tests.Experiments.RunCliTests.Cli("compact", pruned, "--input-shape", "3,28,28");
        Assert.Equal(2, wrongCode);
        Assert.Contains("--input-shape 3,28,28 does not fit SmallResNet", wrong);
        Assert.False(File.Exists(compacted));

        var (code, output) = Lottery.Tests.Experiments.RunCliTests.Cli("compact", pruned, "--input-shape", "1,28,28");

        Assert.True(code == 0, output);
        Assert.Contains("compacted in place by its dependency groups", output);
        Assert.Contains("stem + blocks.0.conv2: units 16 -> ", output);
        var (loaded, kind) = SavedModels.Load(compacted);
        using var disposeLoaded = loaded;
        Assert.Equal(ArtifactKind.CompactedModel, kind);
        Assert.True(loaded.parameters().Sum(p => p.numel()) < model.parameters().Sum(p => p.numel()) / 2);
        using var inputs = randn(64, 1, 28, 28);
        model.eval();
        loaded.eval();
        using var expected = model.call(inputs).detach();
        using var actual = loaded.call(inputs).detach();
        Assert.True((actual - expected).abs().max().item<float>() <= 1e-5);
    }

    [Fact]
    public void A_grouped_convolution_loses_input_channels_within_each_of_its_groups_and_keeps_them_when_they_would_fall_unevenly()
    {
        foreach (var (removed, even) in new[] { (new[] { 1, 6 }, true), (new[] { 0, 1 }, false) })
        {
            manual_seed(28);
            using var model = new GroupedNet();
            using var example = randn(1, 1, 6, 6);
            var groups = DependencyGroups.Trace(model, example);
            using var masks = MaskSet.Attach(model, new MaskOptions());
            masks.UseGroups(groups);
            CutByHand.WarmNorms(model, [8, 1, 6, 6]);
            var first = groups.Groups.Single(g => g.Layers[0] == "first");
            foreach (var unit in removed)
            {
                masks.Remove(first.Units[unit]);
            }

            using var inputs = randn(16, 1, 6, 6);
            model.eval();
            using var before = model.call(inputs).detach();

            var report = Compactor.CompactInPlace(model, example, masks);

            var mix = (Conv2d)model.named_modules().Single(m => m.name == "mix").module;
            var outcome = report.Groups.Single(g => g.Layers[0] == "first");
            if (even)
            {
                // Channels 1 and 6 of 'first' are column 1 of group 0's rows and column 2 of group 1's rows of 'mix': each
                // group of 'mix' keeps 3 of its 4 input channels, and its rows keep their own columns.
                Assert.Equal(6, outcome.UnitsAfter);
                Assert.Equal(6, mix.in_channels);
                Assert.Equal(2, mix.groups);
                Assert.Equal([8L, 3, 3, 3], mix.weight.shape);
            }
            else
            {
                Assert.Equal(8, outcome.UnitsAfter);
                Assert.Contains("mix: it has 2 groups, and the pruned channels are not spread evenly over them", outcome.KeptBecause);
                Assert.Equal(8, mix.in_channels);
            }

            using var after = model.call(inputs).detach();
            Assert.True((after - before).abs().max().item<float>() <= 1e-5, $"largest difference {(after - before).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void The_transformer_classifier_pruned_by_heads_and_neurons_compacts_in_place_to_the_hand_count_and_loads_into_a_fresh_instance()
    {
        manual_seed(29);
        using var model = new TransformerClassifier();
        using var example = randn(1, 784);
        var groups = DependencyGroups.Of(model, example);
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        GroupPruner.Prune(masks, groups, 0.5, PruningScope.Layerwise);
        var heads = masks.KeptUnits(groups.Groups.Single(g => g.Units.Count == 4));
        var neurons = masks.KeptUnits(groups.Groups.Single(g => g.Units.Count == 64));
        using var data = TestData.SmallDigits(train: 10, validation: 10, test: 500);
        using var inputs = data.Test.Inputs.to(ScalarType.Float32).view(-1, 784);
        model.eval();
        using var before = model.call(inputs).detach();

        var report = Compactor.CompactInPlace(model, example);

        // By hand: width 32, heads of 8 features, rows of 28 pixels as 28 tokens, 10 classes; the embedding, the positions,
        // Q, K and V of the heads kept (weights and biases), the output projection reading them, the feed-forward neurons
        // kept (in and out), two LayerNorms, the head.
        Assert.Equal((2, 32), (heads, neurons));
        var inner = heads * 8;
        var expected = (28 * 32) + 32 + (28 * 32)
            + (3 * inner * 32) + (3 * inner) + (inner * 32) + 32
            + (neurons * 32) + neurons + (32 * neurons) + 32
            + (4 * 32)
            + (32 * 10) + 10;
        Assert.Equal(expected, report.ParametersAfter);
        Assert.All(report.Groups.Where(g => g.Pruned > 0), g => Assert.Null(g.KeptBecause));
        Assert.Contains("encoder (heads): units 4 -> 2", report.Describe(), StringComparison.Ordinal);
        Assert.Contains("encoder (feed-forward neurons): units 64 -> 32", report.Describe(), StringComparison.Ordinal);
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal([3 * inner, 32], shapes["encoder.self_attn.in_proj_weight"]);
        Assert.Equal([32, neurons], shapes["encoder.linear2.weight"]);
        using var after = model.call(inputs).detach();
        Assert.True((after - before).abs().max().item<float>() <= 1e-5, $"largest difference {(after - before).abs().max().item<float>()}");
        Assert.True(after.argmax(1).eq(before.argmax(1)).all().item<bool>());

        // Saved and loaded into a fresh instance, resized to the heads and neurons kept.
        var path = Path.Combine(Path.GetTempPath(), $"lottery-transformer-{Guid.NewGuid():N}.compacted");
        CompactedModel.Save(model, path);
        using var deleteFile = new DeleteOnDispose(path);
        using var fresh = new TransformerClassifier();
        fresh.AttachMasks();
        CompactedModel.Load(fresh, path);
        fresh.eval();
        using var loaded = fresh.call(inputs).detach();
        Assert.True(loaded.eq(after).all().item<bool>(), "A loaded compacted transformer computes other outputs.");
    }

    [Fact]
    public void Groups_rounded_to_eight_keep_multiples_of_eight_channels_and_compact_to_them()
    {
        manual_seed(31);
        using var model = new SmallResNet();
        using var example = randn(1, 1, 28, 28);
        var groups = DependencyGroups.Trace(model, example);
        var masks = model.AttachMasks();
        var before = groups.Groups.ToDictionary(g => g.Label, g => g.Units.Count);

        GroupPruner.Prune(masks, groups, 0.2, PruningScope.Layerwise, roundTo: 8);

        // A 20% share rounded down to a multiple of 8: 16 -> 8, 32 -> 24, 64 -> 48 channels (the kept count of 13, 26 and 51).
        var kept = groups.Groups.ToDictionary(g => g.Label, masks.KeptUnits);
        Assert.All(kept, k => Assert.Equal(0, k.Value % 8));
        Assert.All(groups.Groups, g => Assert.Equal(before[g.Label] switch { 16 => 8, 32 => 24, 64 => 48, var n => n }, kept[g.Label]));
        Compactor.CompactInPlace(model, example);
        Assert.All(model.modules().OfType<Conv2d>(), conv => Assert.Equal(0, conv.out_channels % 8));

        using var other = new SmallResNet();
        var unrounded = other.AttachMasks();
        var otherGroups = DependencyGroups.Trace(other, example);
        GroupPruner.Prune(unrounded, otherGroups, 0.2, PruningScope.Layerwise);
        Assert.Contains(otherGroups.Groups, g => unrounded.KeptUnits(g) % 8 != 0);
        Assert.Throws<ArgumentException>(() => unrounded.UseGroups(otherGroups, roundTo: 0));
    }

    [Fact]
    public void The_heads_of_TorchSharps_native_Transformer_layer_stay_masked_and_the_report_names_the_layer()
    {
        manual_seed(29);
        using var model = new NativeTransformer();
        using var example = randn(1, 784);
        var groups = DependencyGroups.Of(model, example);
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        GroupPruner.Prune(masks, groups, 0.5, PruningScope.Layerwise);
        using var inputs = randn(8, 784);
        model.eval();
        using var before = model.call(inputs).detach();
        var parameters = model.parameters().Sum(p => p.numel());

        var report = Compactor.CompactInPlace(model, example);

        Assert.NotEmpty(report.Groups);
        Assert.All(report.Groups.Where(g => g.Pruned > 0), g => Assert.Contains("encoder is a TransformerEncoderLayer, whose size compaction in place cannot change", g.KeptBecause));
        Assert.All(report.Groups.Where(g => g.Pruned > 0), g => Assert.Contains("build it as Lottery.Layers.EncoderLayer", g.KeptBecause));
        Assert.Equal(parameters, model.parameters().Sum(p => p.numel()));
        using var after = model.call(inputs).detach();
        Assert.True(after.eq(before).all().item<bool>());
    }

    [Fact]
    public void A_channel_flattened_into_a_Linear_layer_takes_every_column_it_became()
    {
        manual_seed(30);
        using var model = new FlattenNet();
        using var example = randn(1, 1, 8, 8);
        var (groups, masks) = PruneByGroups(model, example, null, 0.5, PruningScope.Layerwise);
        using var inputs = randn(16, 1, 8, 8);
        model.eval();
        using var before = model.call(inputs).detach();

        Compactor.CompactInPlace(model, example, masks);

        // 3 of the conv's 6 channels stay, each 4x4 = 16 columns of fc1 after the pool and the flatten; 5 of fc1's 10 neurons.
        var fc1 = (Linear)model.named_modules().Single(m => m.name == "fc1").module;
        Assert.Equal(3 * 16, fc1.in_features);
        Assert.Equal(5, fc1.out_features);
        Assert.Equal([5L, 48], fc1.weight.shape);
        using var after = model.call(inputs).detach();
        Assert.True((after - before).abs().max().item<float>() <= 1e-5, $"largest difference {(after - before).abs().max().item<float>()}");
    }

    // Traces the groups, masks the model (its own mask set for a declared model), warms its norms on inputs of
    // <warm>'s shape, and prunes it by groups; the mask set is the model's (a declared model's) or disposed with the test process.
    [Theory]
    [InlineData("input")]
    [InlineData("encoder")]
    [InlineData("embedding")]
    public void A_residual_added_to_features_no_group_cuts_gives_its_inner_layer_a_group_and_its_outer_layer_none_and_compacts(string onto)
    {
        manual_seed(27);
        using var model = new ResidualOnto(onto);
        using var example = onto == "embedding" ? randint(0, 20, [1, 6], dtype: ScalarType.Int64) : randn(1, 6, 16);
        using var inputs = onto == "embedding" ? randint(0, 20, [32, 6], dtype: ScalarType.Int64) : randn(32, 6, 16);

        // down's outputs are added to the 16 features the model was given (the input, an encoder's or an embedding's
        // output), which no group cuts: so down's units are not a group, and up's hidden neurons are.
        var (groups, masks) = PruneByGroups(model, example, null, 0.5, PruningScope.Layerwise);
        var layers = groups.Groups.SelectMany(g => g.Layers).ToList();
        Assert.DoesNotContain("down", layers);
        Assert.Equal(32, groups.Groups.Single(g => g.Layers.SequenceEqual(["up"])).Units.Count);
        model.eval();
        using var before = model.call(inputs).detach();

        var report = Compactor.CompactInPlace(model, example, masks);

        Assert.Equal(16, ((Linear)model.named_modules().Single(m => m.name == "up").module).out_features);
        Assert.Equal(16, ((Linear)model.named_modules().Single(m => m.name == "down").module).out_features);
        Assert.True(report.ParametersAfter < report.ParametersBefore, report.Describe());
        using var after = model.call(inputs).detach();
        Assert.True((after - before).abs().max().item<float>() <= 1e-5, $"largest difference {(after - before).abs().max().item<float>()}");
    }

    private static (DependencyGroups Groups, MaskSet Masks) PruneByGroups(nn.Module<Tensor, Tensor> model, Tensor example, long[]? warm, double rate, PruningScope scope)
    {
        var groups = DependencyGroups.Trace(model, example);
        var masks = model is IPrunableModel prunable ? prunable.AttachMasks() : MaskSet.Attach(model, new MaskOptions());
        masks.UseGroups(groups);
        if (warm is not null)
        {
            CutByHand.WarmNorms(model, warm);
        }

        GroupPruner.Prune(masks, groups, rate, scope);
        return (groups, masks);
    }

    private sealed class DeleteOnDispose(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }

    /// <summary>A small conv net whose forward flattens to a width written into it: it runs only at the width it was built with.</summary>
    private sealed class FixedWidthNet : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv = nn.Conv2d(1, 8, 3, padding: 1);
        private readonly Linear head = nn.Linear(8 * 8 * 8, 4);

        public FixedWidthNet()
            : base(nameof(FixedWidthNet)) => RegisterComponents();

        public override Tensor forward(Tensor input) => head.call(nn.functional.relu(conv.call(input)).view(-1, 8 * 8 * 8));
    }

    /// <summary>A conv whose channels are pooled and flattened into a Linear layer: each channel is 16 of its columns.</summary>
    private sealed class FlattenNet : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv = nn.Conv2d(1, 6, 3, padding: 1);
        private readonly Linear fc1 = nn.Linear(6 * 4 * 4, 10);
        private readonly Linear fc2 = nn.Linear(10, 3);

        public FlattenNet()
            : base(nameof(FlattenNet)) => RegisterComponents();

        public override Tensor forward(Tensor input) =>
            fc2.call(nn.functional.relu(fc1.call(nn.functional.max_pool2d(nn.functional.relu(conv.call(input)), 2).flatten(1))));
    }

    /// <summary>A conv of 8 channels read by a grouped conv (2 groups of 4 input channels), then a head.</summary>
    private sealed class GroupedNet : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d first = nn.Conv2d(1, 8, 3, padding: 1);
        private readonly BatchNorm2d norm = nn.BatchNorm2d(8);
        private readonly Conv2d mix = nn.Conv2d(8, 8, 3, padding: 1, groups: 2);
        private readonly Linear head = nn.Linear(8, 3);

        public GroupedNet()
            : base(nameof(GroupedNet)) => RegisterComponents();

        public override Tensor forward(Tensor input) =>
            head.call(nn.functional.relu(mix.call(nn.functional.relu(norm.call(first.call(input))))).mean([2, 3]));
    }

    /// <summary>
    /// A residual <c>x + down(relu(up(x)))</c> whose <c>x</c> is the model's input, an encoder layer's output or an
    /// embedding's output, then a head over the mean of the tokens.
    /// </summary>
    private sealed class ResidualOnto : nn.Module<Tensor, Tensor>
    {
        private readonly string onto;
        private readonly Embedding? embed;
        private readonly Layers.EncoderLayer? encoder;
        private readonly Linear up = nn.Linear(16, 32);
        private readonly Linear down = nn.Linear(32, 16);
        private readonly Linear head = nn.Linear(16, 5);

        public ResidualOnto(string onto)
            : base(nameof(ResidualOnto))
        {
            this.onto = onto;
            embed = onto == "embedding" ? nn.Embedding(20, 16) : null;
            encoder = onto == "encoder" ? new Layers.EncoderLayer(16, heads: 4, feedForward: 32, dropout: 0.0) : null;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = onto switch
            {
                "embedding" => embed!.call(input),
                "encoder" => encoder!.call(input.transpose(0, 1)).transpose(0, 1),
                _ => input,
            };
            return head.call((x + down.call(nn.functional.relu(up.call(x)))).mean([1]));
        }
    }

    /// <summary>Two hidden layers, the first normalized by a LayerNorm over its 16 features.</summary>
    private sealed class NormedMlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear first = nn.Linear(12, 16);
        private readonly LayerNorm norm = nn.LayerNorm(16);
        private readonly Linear second = nn.Linear(16, 16);
        private readonly Linear head = nn.Linear(16, 3);

        public NormedMlp()
            : base(nameof(NormedMlp)) => RegisterComponents();

        public override Tensor forward(Tensor input) =>
            head.call(nn.functional.relu(second.call(nn.functional.relu(norm.call(first.call(input))))));
    }
}

/// <summary>The transformer classifier's layout on TorchSharp's native TransformerEncoderLayer, declared with its heads.</summary>
public sealed partial class NativeTransformer : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear embed = nn.Linear(28, 32);

    [Prunable(Heads = 4)]
    private readonly TransformerEncoderLayer encoder = nn.TransformerEncoderLayer(32, 4, 64, dropout: 0.0);

    [Prunable]
    private readonly Linear head = nn.Linear(32, 10);

    public NativeTransformer()
        : base(nameof(NativeTransformer)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var rows = input.reshape(input.shape[0], 28, 28).transpose(0, 1);
        return head.call(encoder.call(embed.call(rows)).mean([0])).MoveToOuterDisposeScope();
    }
}
