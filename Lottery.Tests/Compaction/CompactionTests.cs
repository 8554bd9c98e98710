using Lottery.Compaction;
using Lottery.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Compaction;

public class CompactionTests
{
    private const double Tolerance = 1e-5;

    /// <summary>Sequential(Flatten, Linear(20,16), ReLU, Linear(16,12), Tanh, Linear(12,5)) on samples of shape [4, 5].</summary>
    private static Sequential Mlp() =>
        nn.Sequential(nn.Flatten(), nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 12), nn.Tanh(), nn.Linear(12, 5));

    /// <summary>
    /// Masks on every weight and bias: random unstructured masks (30% pruned), then units of the hidden layers removed
    /// in each way compaction knows. First hidden layer (16): rows 2 and 5 pruned with their biases; row 9 all zero by
    /// chance with a bias of 0.7 (constant relu(0.7), to be folded); unit 12 read only by unit 10 of the next layer,
    /// which is itself unread, so unit 12 dies once unit 10 has gone. Second hidden layer (12): rows 1 and 7 pruned
    /// with their biases; row 4 all zero with a bias of -0.4; row 3 reads only units 2 and 9 of the first layer, both
    /// constant, so it becomes constant once they go; unit 10 unread by the output layer.
    /// </summary>
    private static MaskSet PruneMlp(Sequential model, long seed)
    {
        manual_seed(seed);
        var masks = MaskSet.Attach(model, new MaskOptions { PruneBiases = true });
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var weight in masks.Weights.Where(w => w.ParameterName == "weight"))
        {
            weight.Mask.copy_(rand(weight.Mask.shape, generator: generator).ge(0.3));
        }

        ZeroRows(masks["1.weight"].Mask, 2, 5, 9);
        ZeroRows(masks["1.bias"].Mask, 2, 5);
        ((Linear)model[1]).bias![9] = 0.7f;

        var second = masks["3.weight"].Mask;
        ZeroRows(masks["3.weight"].Mask, 1, 7, 4, 3);
        ZeroRows(masks["3.bias"].Mask, 1, 7);
        ((Linear)model[3]).bias![4] = -0.4f;
        second[3, 2] = 1f;
        second[3, 9] = 1f;
        second[TensorIndex.Colon, 12] = 0f;
        second[10, 12] = 1f;

        masks["5.weight"].Mask[TensorIndex.Colon, 10] = 0f;
        masks.ApplyToWeights();
        return masks;
    }

    [Fact]
    public void An_mlp_loses_its_dead_units_and_keeps_its_outputs()
    {
        using var source = Mlp();
        using var masks = PruneMlp(source, seed: 5);
        var first = ((Linear)source[1]).weight.detach();
        var second = ((Linear)source[3]).weight.detach();
        var third = ((Linear)source[5]).weight.detach();

        // The hand count, checked against the weights: the all-zero rows are the ones set, and no unit died by chance.
        Assert.Equal(new long[] { 2, 5, 9 }, ZeroRowsOf(first));
        Assert.Equal(new long[] { 1, 4, 7 }, ZeroRowsOf(second));
        Assert.Equal(new long[] { 10 }, ZeroColumnsOf(third));
        long[] firstGone = [2, 5, 9, 12];
        long[] secondGone = [1, 3, 4, 7, 10];
        var firstKept = Except(16, firstGone);
        var secondKept = Except(12, secondGone);
        Assert.All(firstKept, unit => Assert.True(HasNonzero(second, secondKept, unit), $"unit {unit} of the first layer is unread by chance"));
        Assert.All(secondKept, unit => Assert.True(HasNonzero(third, Except(5, []), unit), $"unit {unit} of the second layer is unread by chance"));
        Assert.All(secondKept, unit => Assert.True(HasNonzero(second.t(), firstKept, unit), $"unit {unit} of the second layer is constant by chance"));
        Assert.False(HasNonzero(second.t(), firstKept, 3));
        Assert.True(HasNonzero(second.t(), [2, 9], 3));
        Assert.False(HasNonzero(second, Except(12, [10]), 12));

        var inputs = randn(256, 4, 5);
        var expected = Outputs(source, inputs);
        var result = Compactor.Compact(source, [4, 5]);
        using var compacted = result.Model;

        Assert.Equal((20L, 12L), Shape((Linear)compacted[1]));
        Assert.Equal((12L, 7L), Shape((Linear)compacted[3]));
        Assert.Equal((7L, 5L), Shape((Linear)compacted[5]));
        AssertSameOutputs(expected, Outputs(compacted, inputs));
        Assert.True(Compactor.Verify(source, compacted, inputs) <= Tolerance);

        long parameters = (20 * 12 + 12) + (12 * 7 + 7) + (7 * 5 + 5);
        Assert.Equal(parameters, ParameterCount(compacted));
        Assert.True(ParameterCount(compacted) < ParameterCount(source));
        Assert.Equal(parameters, result.Report.ParametersAfter);
        Assert.Equal(ParameterCount(source), result.Report.ParametersBefore);
        Assert.Equal(new[] { (16L, 12L, 3, 1), (12L, 7L, 4, 1), (5L, 5L, 0, 0) }, result.Report.Layers.Select(l => (l.UnitsBefore, l.UnitsAfter, l.FoldedUnits, l.UnusedUnits)));
    }

    [Fact]
    public void The_compacted_chain_is_fresh_dense_and_in_evaluation_mode()
    {
        using var source = Mlp();
        using var masks = PruneMlp(source, seed: 5);
        source.train();
        var inputs = randn(32, 4, 5);
        var result = Compactor.Compact(source, [4, 5]);
        using var compacted = result.Model;

        Assert.True(source.training);
        Assert.True(source[1] is Linear { training: true });
        Assert.False(compacted.training);
        Assert.DoesNotContain(compacted.named_buffers(), b => MaskSet.IsMaskBuffer(b.name));
        Assert.Equal(6, source.named_buffers().Count(b => MaskSet.IsMaskBuffer(b.name)));

        var expected = Outputs(source, inputs);
        using (no_grad())
        {
            foreach (var parameter in source.parameters())
            {
                parameter.fill_(3f);
            }
        }

        AssertSameOutputs(expected, Outputs(compacted, inputs));
    }

    [Fact]
    public void The_compacted_chain_saves_and_loads_into_a_chain_built_at_its_sizes()
    {
        using var source = Mlp();
        using var masks = PruneMlp(source, seed: 5);
        var inputs = randn(64, 4, 5);
        var expected = Outputs(source, inputs);
        var path = Path.Combine(Path.GetTempPath(), $"lottery-compacted-{Guid.NewGuid():N}.dat");
        try
        {
            using (var compacted = Compactor.Compact(source, [4, 5]).Model)
            {
                compacted.save(path);
            }

            using var loaded = nn.Sequential(nn.Flatten(), nn.Linear(20, 12), nn.ReLU(), nn.Linear(12, 7), nn.Tanh(), nn.Linear(7, 5));
            loaded.load(path, strict: true);
            AssertSameOutputs(expected, Outputs(loaded, inputs));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Conv2d(1,6,3), ReLU, Conv2d(6,8,3, padding), ReLU, MaxPool2d(2), Flatten, Linear(8*side*side, 10) on 12x12 images.
    /// First conv: channels 1 and 4 pruned with their biases (constant 0); channel 3 all zero with a bias of 0.5
    /// (constant relu(0.5)). Second conv: channels 2 and 5 pruned; channel 7 unread by the Linear.
    /// </summary>
    private static (Sequential Model, MaskSet Masks) PrunedConvChain(long padding)
    {
        manual_seed(21);
        var side = (12 - 2 - 2 + (2 * padding)) / 2;
        var model = nn.Sequential(
            nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Conv2d(6, 8, 3, padding: padding), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * side * side, 10));
        var masks = MaskSet.Attach(model, new MaskOptions { PruneBiases = true });
        using var generator = new Generator(21);
        using var noGrad = no_grad();
        foreach (var weight in masks.Weights.Where(w => w.ParameterName == "weight"))
        {
            weight.Mask.copy_(rand(weight.Mask.shape, generator: generator).ge(0.3));
        }

        ZeroRows(masks["0.weight"].Mask, 1, 4, 3);
        ZeroRows(masks["0.bias"].Mask, 1, 4);
        ((Conv2d)model[0]).bias![3] = 0.5f;
        ZeroRows(masks["2.weight"].Mask, 2, 5);
        ZeroRows(masks["2.bias"].Mask, 2, 5);
        masks["6.weight"].Mask[TensorIndex.Colon, TensorIndex.Slice(7 * side * side, 8 * side * side)] = 0f;
        masks.ApplyToWeights();
        return (model, masks);
    }

    [Theory]
    [InlineData(0, 3)] // Channel 3's constant folds into the second conv's bias.
    [InlineData(1, 4)] // The second conv pads with zeros: channel 3's border taps would see 0, not 0.5, so it stays.
    public void A_conv_chain_loses_its_dead_channels_and_keeps_its_outputs(long padding, long firstChannels)
    {
        var (source, masks) = PrunedConvChain(padding);
        using (source)
        using (masks)
        {
            var side = (12 - 2 - 2 + (2 * padding)) / 2;
            var firstConv = ((Conv2d)source[0]).weight.detach();
            var secondConv = ((Conv2d)source[2]).weight.detach();
            Assert.Equal(new long[] { 1, 3, 4 }, ZeroRowsOf(firstConv));
            Assert.Equal(new long[] { 2, 5 }, ZeroRowsOf(secondConv));

            var inputs = randn(64, 1, 12, 12);
            var expected = Outputs(source, inputs);
            using var compacted = Compactor.Compact(source, [1, 12, 12]).Model;

            var first = (Conv2d)compacted[0];
            var second = (Conv2d)compacted[2];
            var linear = (Linear)compacted[6];
            Assert.Equal((1L, firstChannels), (first.in_channels, first.out_channels));
            Assert.Equal((firstChannels, 5L), (second.in_channels, second.out_channels));
            Assert.Equal(new long[] { firstChannels, 1, 3, 3 }, first.weight.shape);
            Assert.Equal(new long[] { 5, firstChannels, 3, 3 }, second.weight.shape);
            Assert.Equal((5 * side * side, 10L), Shape(linear));
            AssertSameOutputs(expected, Outputs(compacted, inputs));
            Assert.True(ParameterCount(compacted) < ParameterCount(source));
        }
    }

    [Fact]
    public void A_batch_norm_between_conv_and_relu_is_sliced_with_its_channels()
    {
        manual_seed(8);
        using var source = nn.Sequential(
            nn.Conv2d(1, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 3));
        var norm = (BatchNorm2d)source[1];
        using (no_grad())
        {
            norm.running_mean!.copy_(randn(6));
            norm.running_var!.copy_(rand(6).add(0.5));
            norm.weight.copy_(randn(6));
            norm.bias!.copy_(randn(6));
        }

        using var masks = MaskSet.Attach(source, new MaskOptions { PruneBiases = true });
        using (no_grad())
        {
            ZeroRows(masks["0.weight"].Mask, 0, 3);
            ZeroRows(masks["0.bias"].Mask, 0, 3);
            masks.ApplyToWeights();
        }

        var inputs = randn(64, 1, 12, 12);
        var expected = Outputs(source, inputs);
        using var compacted = Compactor.Compact(source, [1, 12, 12]).Model;

        var kept = tensor(new long[] { 1, 2, 4, 5 });
        var slicedNorm = (BatchNorm2d)compacted[1];
        Assert.Equal(4, ((Conv2d)compacted[0]).out_channels);
        Assert.Equal(4, ((Conv2d)compacted[3]).in_channels);
        Assert.Equal(TestData.Values(norm.running_mean!.index_select(0, kept)), TestData.Values(slicedNorm.running_mean!));
        Assert.Equal(TestData.Values(norm.running_var!.index_select(0, kept)), TestData.Values(slicedNorm.running_var!));
        Assert.Equal(TestData.Values(norm.weight.index_select(0, kept)), TestData.Values(slicedNorm.weight));
        AssertSameOutputs(expected, Outputs(compacted, inputs));
    }

    [Fact]
    public void Constants_pass_through_every_supported_module_kind()
    {
        // Conv1d(2,6,3) channels 1 and 4 pruned: constant BatchNorm(0), through LeakyReLU and an AvgPool without
        // padding, folded into a conv that pads by reflection (so the border sees the constant too). Conv1d(6,6,3)
        // channel 0 pruned: constant GELU(0) = 0. Linear(30,8) row 2 pruned: ELU, SiLU keep it 0, Sigmoid makes it 0.5.
        manual_seed(13);
        using var source = nn.Sequential(
            nn.Conv1d(2, 6, 3), nn.BatchNorm1d(6), nn.LeakyReLU(0.1), nn.AvgPool1d(2),
            nn.Conv1d(6, 6, 3, padding: 1, padding_mode: PaddingModes.Reflect), nn.GELU(), nn.MaxPool1d(2), nn.Dropout(0.3), nn.Flatten(),
            nn.Linear(30, 8), nn.ELU(), nn.SiLU(), nn.Sigmoid(), nn.Identity(), nn.Dropout(0.2), nn.Linear(8, 3));
        var norm = (BatchNorm1d)source[1];
        using (no_grad())
        {
            norm.running_mean!.copy_(randn(6));
            norm.running_var!.copy_(rand(6).add(0.5));
            norm.bias!.copy_(randn(6));
        }

        using var masks = MaskSet.Attach(source, new MaskOptions { PruneBiases = true });
        using (no_grad())
        {
            ZeroRows(masks["0.weight"].Mask, 1, 4);
            ZeroRows(masks["0.bias"].Mask, 1, 4);
            ZeroRows(masks["4.weight"].Mask, 0);
            ZeroRows(masks["4.bias"].Mask, 0);
            ZeroRows(masks["9.weight"].Mask, 2);
            ZeroRows(masks["9.bias"].Mask, 2);
            masks.ApplyToWeights();
        }

        var inputs = randn(64, 2, 22);
        var expected = Outputs(source, inputs);
        using var compacted = Compactor.Compact(source, [2, 22]).Model;

        Assert.Equal(4, ((Conv1d)compacted[0]).out_channels);
        Assert.Equal(4, ((BatchNorm1d)compacted[1]).num_features);
        Assert.Equal((4L, 5L), (((Conv1d)compacted[4]).in_channels, ((Conv1d)compacted[4]).out_channels));
        Assert.Equal((25L, 7L), Shape((Linear)compacted[9]));
        Assert.Equal((7L, 3L), Shape((Linear)compacted[15]));
        AssertSameOutputs(expected, Outputs(compacted, inputs));
    }

    [Fact]
    public void A_constant_channel_through_an_average_pool_that_counts_padding_stays_unless_it_is_zero()
    {
        // Channel 0 is constant 0 and goes; channel 2 is constant relu(0.5), which the padded pool makes smaller at the
        // border than inside, so no bias can stand for it.
        manual_seed(17);
        using var source = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AvgPool2d(2, padding: 1), nn.Conv2d(4, 4, 1), nn.Flatten(), nn.Linear(4 * 4 * 4, 5));
        using var masks = MaskSet.Attach(source, new MaskOptions { PruneBiases = true });
        using (no_grad())
        {
            ZeroRows(masks["0.weight"].Mask, 0, 2);
            ZeroRows(masks["0.bias"].Mask, 0);
            ((Conv2d)source[0]).bias![2] = 0.5f;
            masks.ApplyToWeights();
        }

        var inputs = randn(32, 1, 8, 8);
        var expected = Outputs(source, inputs);
        using var compacted = Compactor.Compact(source, [1, 8, 8]).Model;

        Assert.Equal(3, ((Conv2d)compacted[0]).out_channels);
        AssertSameOutputs(expected, Outputs(compacted, inputs));
    }

    [Fact]
    public void A_layer_whose_units_are_all_dead_keeps_one()
    {
        manual_seed(3);
        using var source = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3));
        using var masks = MaskSet.Attach(source, new MaskOptions { PruneBiases = true });
        using (no_grad())
        {
            ZeroRows(masks["0.weight"].Mask, 0, 1, 2, 3);
            ZeroRows(masks["0.bias"].Mask, 0, 1);
            masks.ApplyToWeights();
        }

        var inputs = randn(16, 6);
        var expected = Outputs(source, inputs);
        using var compacted = Compactor.Compact(source, [6]).Model;

        Assert.Equal((6L, 1L), Shape((Linear)compacted[0]));
        Assert.Equal((1L, 3L), Shape((Linear)compacted[2]));
        AssertSameOutputs(expected, Outputs(compacted, inputs));
    }

    [Fact]
    public void A_layer_without_bias_gets_one_when_a_folded_constant_adds_to_it()
    {
        manual_seed(4);
        using var source = nn.Sequential(nn.Linear(5, 4), nn.Sigmoid(), nn.Linear(4, 2, hasBias: false));
        using var masks = MaskSet.Attach(source);
        using (no_grad())
        {
            ZeroRows(masks["0.weight"].Mask, 1);
            masks.ApplyToWeights();
        }

        var inputs = randn(16, 5);
        var expected = Outputs(source, inputs);
        using var compacted = Compactor.Compact(source, [5]).Model;

        var last = (Linear)compacted[2];
        Assert.Equal((3L, 2L), Shape(last));
        Assert.NotNull(last.bias);
        AssertSameOutputs(expected, Outputs(compacted, inputs));
    }

    [Fact]
    public void A_structurally_pruned_mlp_predicts_the_digits_test_set_as_its_source_does()
    {
        // Half the rows of each hidden layer pruned with their biases, as structured pruning leaves them.
        manual_seed(30);
        using var data = TestData.SmallDigits(train: 100, validation: 50, test: 500);
        var inputShape = data.Test.Inputs.shape[1..];
        var features = inputShape.Aggregate(1L, (product, size) => product * size);
        using var source = nn.Sequential(nn.Flatten(), nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10));
        using var masks = MaskSet.Attach(source, new MaskOptions { PruneBiases = true });
        using (no_grad())
        {
            foreach (var (layer, units) in new[] { ("1", 64L), ("3", 32L) })
            {
                var rows = randperm(units).narrow(0, 0, units / 2);
                masks[layer + ".weight"].Mask.index_fill_(0, rows, 0);
                masks[layer + ".bias"].Mask.index_fill_(0, rows, 0);
            }

            masks.ApplyToWeights();
        }

        using var compacted = Compactor.Compact(source, inputShape).Model;

        Assert.Equal((features, 32L), Shape((Linear)compacted[1]));
        Assert.Equal((32L, 16L), Shape((Linear)compacted[3]));
        Assert.Equal((16L, 10L), Shape((Linear)compacted[5]));
        AssertSameOutputs(Outputs(source, data.Test.Inputs), Outputs(compacted, data.Test.Inputs));
        Assert.True(Compactor.Verify(source, compacted, data.Test.Inputs) <= Tolerance);
    }

    [Fact]
    public void An_unsupported_module_is_refused_by_index_name_and_type()
    {
        using var custom = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), new Doubling(), nn.Linear(4, 2));
        var error = Assert.Throws<NotSupportedException>(() => Compactor.Compact(custom, [4]));
        Assert.Contains("Module 2 ('2')", error.Message);
        Assert.Contains(nameof(Doubling), error.Message);
        Assert.Contains("Supported modules: Linear", error.Message);

        using var layerNorm = nn.Sequential(("fc", nn.Linear(4, 4)), ("norm", nn.LayerNorm(4)), ("out", nn.Linear(4, 2)));
        error = Assert.Throws<NotSupportedException>(() => Compactor.Compact(layerNorm, [4]));
        Assert.Contains("Module 1 ('norm')", error.Message);
        Assert.Contains("LayerNorm", error.Message);

        using var grouped = nn.Sequential(nn.Conv2d(2, 4, 3, groups: 2), nn.Flatten(), nn.Linear(4 * 4 * 4, 2));
        error = Assert.Throws<NotSupportedException>(() => Compactor.Compact(grouped, [2, 6, 6]));
        Assert.Contains("Module 0 ('0')", error.Message);
        Assert.Contains("groups = 2", error.Message);
    }

    [Fact]
    public void A_linear_on_a_sample_with_channels_is_refused_and_a_wrong_input_shape_is_explained()
    {
        using var model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.Linear(4, 2));
        var error = Assert.Throws<NotSupportedException>(() => Compactor.Compact(model, [2, 6]));
        Assert.Contains("module 1 ('1', Linear)", error.Message);

        using var mlp = Mlp();
        var shapeError = Assert.Throws<ArgumentException>(() => Compactor.Compact(mlp, [3, 5]));
        Assert.Contains("[3, 5]", shapeError.Message);
        Assert.Contains("module 1 ('1', Linear)", shapeError.Message);
    }

    [Fact]
    public void Verify_fails_when_the_outputs_differ()
    {
        using var source = Mlp();
        using var masks = PruneMlp(source, seed: 5);
        using var compacted = Compactor.Compact(source, [4, 5]).Model;
        var inputs = randn(32, 4, 5);
        using (no_grad())
        {
            ((Linear)compacted[5]).bias!.add_(1e-3f);
        }

        var error = Assert.Throws<CompactionMismatchException>(() => Compactor.Verify(source, compacted, inputs));
        Assert.InRange(error.LargestDifference, 0.9e-3, 1.1e-3);
    }

    private sealed class Doubling() : nn.Module<Tensor, Tensor>(nameof(Doubling))
    {
        public override Tensor forward(Tensor input) => input * 2;
    }

    private static void ZeroRows(Tensor mask, params long[] rows)
    {
        using var noGrad = no_grad();
        mask.index_fill_(0, tensor(rows), 0);
    }

    private static long[] ZeroRowsOf(Tensor weight) =>
        Enumerable.Range(0, (int)weight.shape[0]).Where(row => weight[row].count_nonzero().item<long>() == 0).Select(row => (long)row).ToArray();

    private static long[] ZeroColumnsOf(Tensor weight) => ZeroRowsOf(weight.t());

    /// <summary>Whether column <paramref name="column"/> of <paramref name="weight"/> has a nonzero entry in one of <paramref name="rows"/>.</summary>
    private static bool HasNonzero(Tensor weight, long[] rows, long column) =>
        rows.Any(row => weight[row, column].item<float>() != 0);

    private static long[] Except(long count, long[] gone) =>
        Enumerable.Range(0, (int)count).Select(unit => (long)unit).Except(gone).ToArray();

    private static (long In, long Out) Shape(Linear linear) => (linear.in_features, linear.out_features);

    private static long ParameterCount(nn.Module model) => model.parameters().Sum(p => p.numel());

    private static Tensor Outputs(nn.Module<Tensor, Tensor> model, Tensor inputs)
    {
        var training = model.training;
        model.eval();
        using var noGrad = no_grad();
        var outputs = model.call(inputs).detach().clone();
        model.train(training);
        return outputs;
    }

    private static void AssertSameOutputs(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= Tolerance, $"the outputs differ by {difference}");
        Assert.Equal(TestData.Values(expected.argmax(1)), TestData.Values(actual.argmax(1)));
    }
}
