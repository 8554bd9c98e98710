using Lottery.Inference;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Inference;

public class SparseLinearTests
{
    private const float Tolerance = 1e-5f;

    /// <summary>A Linear layer with weights uniform in ±1/sqrt(in), and a 0/1 mask keeping about <paramref name="density"/> of them.</summary>
    private static (Linear Layer, Tensor Mask) MaskedLayer(int inputs, int outputs, double density, Generator generator, bool hasBias = true)
    {
        var layer = nn.Linear(inputs, outputs, hasBias: hasBias);
        using var noGrad = no_grad();
        layer.weight!.copy_((rand([outputs, inputs], generator: generator) * 2 - 1) / Math.Sqrt(inputs));
        layer.bias?.copy_(rand([outputs], generator: generator) - 0.5);
        var mask = rand([outputs, inputs], generator: generator).lt(density).to(ScalarType.Float32);
        return (layer, mask);
    }

    /// <summary>The expectation, from plain TorchSharp: the dense product with the masked weight.</summary>
    private static Tensor Expected(Linear layer, Tensor mask, Tensor input)
    {
        using var noGrad = no_grad();
        return nn.functional.linear(input, layer.weight! * mask, layer.bias);
    }

    private static float LargestDifference(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        return (actual - expected).abs().max().item<float>();
    }

    [Theory]
    [InlineData(0.01, 1)]
    [InlineData(0.01, 3)]
    [InlineData(0.01, 64)]
    [InlineData(0.01, 257)]
    [InlineData(0.07, 1)]
    [InlineData(0.07, 3)]
    [InlineData(0.07, 64)]
    [InlineData(0.07, 257)]
    [InlineData(0.3, 1)]
    [InlineData(0.3, 3)]
    [InlineData(0.3, 64)]
    [InlineData(0.3, 257)]
    [InlineData(1.0, 1)]
    [InlineData(1.0, 3)]
    [InlineData(1.0, 64)]
    [InlineData(1.0, 257)]
    public void Sparse_kernel_equals_dense_linear_with_the_masked_weight(double density, int batch)
    {
        using var generator = new Generator(17);
        var (layer, mask) = MaskedLayer(784, 300, density, generator);
        using var input = randn([batch, 784], generator: generator);
        using var sparse = new SparseLinear(layer, mask, SparsePath.Sparse);
        using var expected = Expected(layer, mask, input);

        using var actual = sparse.forward(input);

        Assert.True(LargestDifference(actual, expected) <= Tolerance, $"largest difference {LargestDifference(actual, expected)}");
        Assert.Equal(mask.count_nonzero().item<long>(), sparse.Weight.NonZeroCount);
        layer.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(40)]
    [InlineData(100)]
    public void Forced_sparse_forced_dense_and_auto_agree(int batch)
    {
        using var generator = new Generator(3);
        var (layer, mask) = MaskedLayer(64, 48, 0.1, generator);
        using var input = randn([batch, 64], generator: generator);
        using var expected = Expected(layer, mask, input);
        using var sparse = new SparseLinear(layer, mask, SparsePath.Sparse);
        using var dense = new SparseLinear(layer, mask, SparsePath.Dense);
        using var auto = new SparseLinear(layer, mask);
        Assert.Null(auto.ChosenPath(batch));

        foreach (var module in new[] { sparse, dense, auto })
        {
            using var actual = module.forward(input);
            Assert.True(LargestDifference(actual, expected) <= Tolerance, $"{module.Path}: largest difference {LargestDifference(actual, expected)}");
        }

        Assert.Equal(SparsePath.Sparse, sparse.ChosenPath(batch));
        Assert.Equal(SparsePath.Dense, dense.ChosenPath(batch));
        Assert.Contains(auto.ChosenPath(batch), new SparsePath?[] { SparsePath.Sparse, SparsePath.Dense });

        // A later call in the same bucket runs the remembered path and still agrees.
        using var again = auto.forward(input);
        Assert.True(LargestDifference(again, expected) <= Tolerance);
        layer.Dispose();
    }

    [Fact]
    public void A_single_sample_without_a_batch_dimension_gives_one_output_row()
    {
        using var generator = new Generator(5);
        var (layer, mask) = MaskedLayer(30, 20, 0.2, generator);
        using var input = randn([30], generator: generator);
        using var expected = Expected(layer, mask, input);
        using var sparse = new SparseLinear(layer, mask, SparsePath.Sparse);

        using var actual = sparse.forward(input);

        Assert.Equal(new long[] { 20 }, actual.shape);
        Assert.True(LargestDifference(actual, expected) <= Tolerance);
        layer.Dispose();
    }

    [Fact]
    public void A_layer_without_bias_works()
    {
        using var generator = new Generator(7);
        var (layer, mask) = MaskedLayer(50, 40, 0.1, generator, hasBias: false);
        using var input = randn([9, 50], generator: generator);
        using var expected = Expected(layer, mask, input);
        using var sparse = new SparseLinear(layer, mask, SparsePath.Sparse);

        using var actual = sparse.forward(input);

        Assert.False(sparse.HasBias);
        Assert.True(LargestDifference(actual, expected) <= Tolerance);
        layer.Dispose();
    }

    [Fact]
    public void A_row_with_every_weight_pruned_gives_its_bias()
    {
        using var generator = new Generator(11);
        var (layer, mask) = MaskedLayer(40, 10, 0.3, generator);
        mask[3].zero_();
        using var input = randn([17, 40], generator: generator);
        using var expected = Expected(layer, mask, input);
        using var sparse = new SparseLinear(layer, mask, SparsePath.Sparse);

        using var actual = sparse.forward(input);

        Assert.Equal(sparse.Weight.RowPointers[3], sparse.Weight.RowPointers[4]);
        Assert.True(LargestDifference(actual, expected) <= Tolerance);
        var bias3 = layer.bias![3].item<float>();
        Assert.All(TestData.Values(actual.select(1, 3)), value => Assert.Equal(bias3, value));
        layer.Dispose();
    }

    [Fact]
    public void Non_contiguous_input_is_read_correctly()
    {
        using var generator = new Generator(13);
        var (layer, mask) = MaskedLayer(24, 16, 0.25, generator);
        using var transposed = randn([24, 12], generator: generator);
        using var input = transposed.t();
        Assert.False(input.is_contiguous());
        using var expected = Expected(layer, mask, input);
        using var sparse = new SparseLinear(layer, mask, SparsePath.Sparse);

        using var actual = sparse.forward(input);

        Assert.True(LargestDifference(actual, expected) <= Tolerance);
        layer.Dispose();
    }

    [Fact]
    public void The_layers_own_weight_mask_buffer_is_used_when_no_mask_is_given()
    {
        using var generator = new Generator(19);
        var (layer, mask) = MaskedLayer(30, 20, 0.15, generator);
        layer.register_buffer("weight_mask", mask);
        using var input = randn([6, 30], generator: generator);
        using var expected = Expected(layer, mask, input);

        // The weights under the mask's zeros are not zero: only the buffer can drop them.
        using var sparse = new SparseLinear(layer, path: SparsePath.Sparse);
        using var actual = sparse.forward(input);

        Assert.Equal(mask.count_nonzero().item<long>(), sparse.Weight.NonZeroCount);
        Assert.Equal(mask.count_nonzero().item<long>() / 600.0, SparseInference.Density(layer), 12);
        Assert.True(LargestDifference(actual, expected) <= Tolerance);
        layer.Dispose();
    }

    [Fact]
    public void Wrong_input_width_names_the_expected_width()
    {
        using var generator = new Generator(23);
        var (layer, mask) = MaskedLayer(30, 20, 0.1, generator);
        using var sparse = new SparseLinear(layer, mask);
        using var input = randn([4, 31], generator: generator);

        var error = Assert.Throws<ArgumentException>(() => sparse.forward(input));

        Assert.Contains("[batch, 30]", error.Message);
        Assert.Contains("[4, 31]", error.Message);
        layer.Dispose();
    }

    [Fact]
    public void Wrong_dtype_is_refused()
    {
        using var generator = new Generator(29);
        var (layer, mask) = MaskedLayer(30, 20, 0.1, generator);
        using var sparse = new SparseLinear(layer, mask);
        using var input = randn([4, 30], dtype: ScalarType.Float64, generator: generator);

        var error = Assert.Throws<ArgumentException>(() => sparse.forward(input));

        Assert.Contains("float32", error.Message);
        layer.Dispose();
    }

    [Fact]
    public void Csr_arrays_of_a_small_matrix_match_a_hand_count()
    {
        // [[0, 2, 0],
        //  [0, 0, 0],
        //  [3, 0, 4]]
        var matrix = CsrMatrix.FromDense([0, 2, 0, 0, 0, 0, 3, 0, 4], rows: 3, columns: 3);

        Assert.Equal(new[] { 0, 1, 1, 3 }, matrix.RowPointers.ToArray());
        Assert.Equal(new[] { 1, 0, 2 }, matrix.ColumnIndices.ToArray());
        Assert.Equal(new[] { 2f, 3f, 4f }, matrix.Values.ToArray());
        Assert.Equal(3.0 / 9, matrix.Density, 12);
    }

    /// <summary>784-30-20-10 with ReLUs; the first two layers masked through a MaskSet, the last left dense.</summary>
    private static Sequential MaskedNetwork(Generator generator)
    {
        var network = nn.Sequential(
            ("fc1", nn.Linear(784, 30)),
            ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(30, 20)),
            ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(20, 10)));
        using var masks = MaskSet.Attach(network, new MaskOptions { Layers = ["fc1", "fc2"] });
        using var noGrad = no_grad();
        foreach (var weight in masks.Weights)
        {
            weight.Mask.copy_(rand(weight.Mask.shape, generator: generator).lt(0.1));
        }

        masks.ApplyToWeights();
        network.eval();
        return network;
    }

    [Fact]
    public void A_converted_sequential_gives_the_originals_outputs()
    {
        using var generator = new Generator(31);
        using var network = MaskedNetwork(generator);
        using var input = randn([33, 784], generator: generator);
        using var expected = network.forward(input);

        var converted = SparseInference.Convert(network, maxDensity: 0.5);
        using var actual = converted.forward(input);

        var children = converted.named_children().ToList();
        Assert.Equal(new[] { "fc1", "relu1", "fc2", "relu2", "fc3" }, children.Select(c => c.name));
        Assert.IsType<SparseLinear>(children[0].module);
        Assert.IsType<SparseLinear>(children[2].module);
        Assert.IsType<Linear>(children[4].module);
        Assert.True(LargestDifference(actual, expected) <= Tolerance);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(57)]
    public void A_fused_chain_gives_the_originals_outputs_on_both_paths(int batch)
    {
        using var generator = new Generator(37);
        using var network = MaskedNetwork(generator);
        using var input = randn([batch, 784], generator: generator);
        using var expected = network.forward(input);
        var converted = SparseInference.Convert(network, maxDensity: 1);

        foreach (var path in new[] { SparsePath.Sparse, SparsePath.Dense, SparsePath.Auto })
        {
            var fused = SparseInference.Fuse(converted, path);
            var chain = Assert.IsType<SparseSequential>(Assert.Single(fused.children()));
            Assert.Equal(3, chain.Layers.Count);

            using var actual = fused.forward(input);

            Assert.True(LargestDifference(actual, expected) <= Tolerance, $"{path}: largest difference {LargestDifference(actual, expected)}");
            Assert.NotNull(chain.ChosenPath(batch));
        }
    }

    [Fact]
    public void A_chain_whose_widths_do_not_follow_is_refused()
    {
        using var generator = new Generator(41);
        var (first, firstMask) = MaskedLayer(10, 8, 0.5, generator);
        var (second, secondMask) = MaskedLayer(9, 4, 0.5, generator);
        using var sparseFirst = new SparseLinear(first, firstMask);
        using var sparseSecond = new SparseLinear(second, secondMask);

        var error = Assert.Throws<ArgumentException>(() => new SparseSequential([sparseFirst, sparseSecond]));

        Assert.Contains("takes 9 inputs", error.Message);
        Assert.Contains("gives 8", error.Message);
    }

    [Fact]
    public void The_benchmark_reports_positive_figures_for_every_network()
    {
        var result = SparseInferenceBenchmark.Measure(densities: [0.07], timing: new InferenceTiming(Repeats: 1, LatencyCalls: 3, ThroughputBatches: 2, BatchSize: 8));

        Assert.Equal(5, result.Figures.Count);
        Assert.Equal(
            new[] { "TorchSharp", "SparseLinear", "SparseSequential", "SparseLinear", "SparseSequential" },
            result.Figures.Select(f => f.Network));
        Assert.All(result.Figures, figures =>
        {
            Assert.True(figures.LatencyMicroseconds > 0);
            Assert.True(figures.SamplesPerSecond > 0);
        });
        Assert.Contains("SparseSequential", result.Describe());
    }
}
