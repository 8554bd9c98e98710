using Lottery.Training.Sparse;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Tests.Training;

/// <summary>
/// The sparse training path of a Linear layer computes what the dense product by the masked weight computes: the output
/// and every gradient within 1e-5, every pruned weight's gradient exactly zero, and through training steps the pruned
/// weights and their optimizer state stay exactly zero.
/// </summary>
public sealed class SparseLinearTests
{
    public static TheoryData<double, int> Cases()
    {
        var cases = new TheoryData<double, int>();
        foreach (var pruned in new[] { 0.0, 0.5, 0.93, 0.999 })
        {
            foreach (var batch in new[] { 1, 3, 256 })
            {
                cases.Add(pruned, batch);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_and_gradients_equal_the_dense_masked_product(double pruned, int batch)
    {
        const int inputs = 300;
        const int outputs = 100;
        using var scope = NewDisposeScope();
        using var generator = new Generator(2026 + (ulong)batch);
        var mask = rand([outputs, inputs], generator: generator).ge(pruned).to(ScalarType.Float32);
        mask[0] = zeros(inputs);            // an empty row
        mask[.., 7] = zeros(outputs);       // an empty column
        var weight = randn([outputs, inputs], generator: generator) / Math.Sqrt(inputs);
        var bias = randn([outputs], generator: generator);
        var input = randn([batch, inputs], generator: generator);
        var upstream = randn([batch, outputs], generator: generator);

        // Dense: the product by the masked weight, as a masked layer trains today, in float64 (the exact figures both float32 paths approach).
        Tensor Wide(Tensor t) => t.to(ScalarType.Float64).requires_grad_();
        var (denseInput, denseWeight, denseBias) = (Wide(input), Wide(weight), Wide(bias));
        var dense = nn.functional.linear(denseInput, denseWeight * mask.to(ScalarType.Float64), denseBias);
        (dense * upstream.to(ScalarType.Float64)).sum().backward();

        var pattern = SparsePattern.FromMask(mask);
        var (sparseInput, sparseWeight, sparseBias) = (input.clone().requires_grad_(), weight.clone().requires_grad_(), bias.clone().requires_grad_());
        var sparse = SparseLinear.Forward(sparseInput, sparseWeight, sparseBias, pattern);
        (sparse * upstream).sum().backward();

        Assert.Equal(mask.sum().item<float>(), pattern.NonZeroCount);
        AssertClose(dense, sparse, "output");
        AssertClose(denseInput.grad!, sparseInput.grad!, "input gradient");
        AssertClose(denseWeight.grad!, sparseWeight.grad!, "weight gradient");
        AssertClose(denseBias.grad!, sparseBias.grad!, "bias gradient");
        Assert.Equal(0f, (sparseWeight.grad! * (1 - mask)).abs().max().item<float>());

        // The surviving weights alone as the parameter: the same output and gradients, the weights' gradient only at them.
        var values = pattern.Gather(weight).requires_grad_();
        var (valuesInput, valuesBias) = (input.clone().requires_grad_(), bias.clone().requires_grad_());
        var byValues = SparseLinear.Forward(valuesInput, values, valuesBias, pattern);
        (byValues * upstream).sum().backward();
        Assert.Equal([(long)pattern.NonZeroCount], values.grad!.shape);
        AssertClose(dense, byValues, "output from the surviving weights");
        AssertClose(denseInput.grad!, valuesInput.grad!, "input gradient from the surviving weights");
        AssertClose(pattern.Gather(denseWeight.grad!), values.grad!, "surviving weights' gradient");
        AssertClose(denseBias.grad!, valuesBias.grad!, "bias gradient from the surviving weights");
        Assert.Equal(0f, (pattern.Scatter(values) - (weight * mask)).abs().max().item<float>());

        // Without gradients (evaluation): the same output.
        using (no_grad())
        {
            AssertClose(dense, SparseLinear.Forward(input, weight, bias, pattern), "output without gradients");
        }
    }

    [Fact]
    public void A_single_sample_and_a_layer_without_bias_and_an_input_that_needs_no_gradient_work()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var mask = rand([20, 30], generator: generator).ge(0.8).to(ScalarType.Float32);
        var weight = randn([20, 30], generator: generator).requires_grad_();
        var input = randn([30], generator: generator);
        var output = SparseLinear.Forward(input, weight, null, SparsePattern.FromMask(mask));
        Assert.Equal([20L], output.shape);
        AssertClose(nn.functional.linear(input.unsqueeze(0), weight * mask).squeeze(0), output, "single sample");
        output.sum().backward();
        AssertClose(input.unsqueeze(1).expand(30, 20).t() * mask, weight.grad!, "weight gradient of a single sample");
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void Pruned_weights_and_their_optimizer_state_stay_zero_through_a_thousand_steps_and_match_dense_after_a_hundred(string optimizer)
    {
        using var generator = new Generator(5);
        var mask = rand([32, 64], generator: generator).ge(0.9).to(ScalarType.Float32);
        var pattern = SparsePattern.FromMask(mask);
        var start = randn([32, 64], generator: generator) * mask / 8;
        var data = randn([16, 64], generator: generator);
        var targets = randn([16, 32], generator: generator);
        var sparse = new TorchSharp.Modules.Parameter(start.clone());
        var dense = new TorchSharp.Modules.Parameter(start.clone());
        var kept = new TorchSharp.Modules.Parameter(pattern.Gather(start));
        optim.Optimizer Make(TorchSharp.Modules.Parameter weight) => optimizer == "adam"
            ? optim.Adam([weight], lr: 0.01, weight_decay: 0.01)
            : optim.SGD([weight], learningRate: 0.01, momentum: 0.9, nesterov: true, weight_decay: 0.01);
        var sparseOptimizer = Make(sparse);
        var denseOptimizer = Make(dense);
        var keptOptimizer = Make(kept);
        for (var step = 1; step <= 1000; step++)
        {
            using var scope = NewDisposeScope();
            sparseOptimizer.zero_grad();
            nn.functional.mse_loss(SparseLinear.Forward(data, sparse, null, pattern), targets).backward();
            sparseOptimizer.step();
            if (step <= 100)
            {
                // The surviving weights alone: the optimizer holds state for them only.
                keptOptimizer.zero_grad();
                nn.functional.mse_loss(SparseLinear.Forward(data, kept, null, pattern), targets).backward();
                keptOptimizer.step();

                // The dense masked path: the masked product, then the mask applied to the gradient, as masked layers train.
                denseOptimizer.zero_grad();
                nn.functional.mse_loss(nn.functional.linear(data, dense * mask), targets).backward();
                dense.grad!.mul_(mask);
                denseOptimizer.step();
            }

            if (step == 100)
            {
                var largest = (sparse - dense).abs().max().item<float>();
                Assert.True(largest <= 1e-5, $"after 100 steps the sparse and dense weights differ by {largest}");
                var keptLargest = (pattern.Scatter(kept) - dense).abs().max().item<float>();
                Assert.True(keptLargest <= 1e-5, $"after 100 steps the surviving weights trained alone and the dense weights differ by {keptLargest}");
            }
        }

        using var pruned = 1 - mask;
        Assert.Equal(0f, (sparse * pruned).abs().max().item<float>());
        var states = ((TorchSharp.Modules.OptimizerHelper)sparseOptimizer).state_dict().State;
        Assert.Single(states);
        foreach (var (name, value) in states.SelectMany(StateTensors))
        {
            Assert.True((value * pruned).abs().max().item<float>() == 0f, $"{optimizer}'s {name} moved at a pruned weight");
        }

        Assert.True((sparse * mask).abs().sum().item<float>() > 0);
    }

    [Fact]
    public void The_output_and_every_gradient_are_the_same_bit_for_bit_on_one_thread_or_several()
    {
        var threads = get_num_threads();
        manual_seed(31);
        using var mask = rand(300, 784).lt(0.2).to(ScalarType.Float32);
        var pattern = SparsePattern.FromMask(mask);
        using var values = pattern.Gather(randn(300, 784)).requires_grad_();
        using var bias = randn(300).requires_grad_();
        using var input = randn(256, 784).requires_grad_();
        using var upstream = randn(256, 300);
        var results = new List<Tensor[]>();
        try
        {
            // Large enough that several threads split the rows (and, with 4, the boundaries fall inside the layer).
            foreach (var count in new[] { 1, 2, 4 })
            {
                set_num_threads(count);
                using var output = SparseLinear.Forward(input, values, bias, pattern);
                output.backward([upstream]);
                results.Add([output.detach().clone(), values.grad!.clone(), input.grad!.clone(), bias.grad!.clone()]);
                values.grad!.zero_();
                input.grad!.zero_();
                bias.grad!.zero_();
            }
        }
        finally
        {
            set_num_threads(threads);
        }

        foreach (var other in results.Skip(1))
        {
            for (var i = 0; i < other.Length; i++)
            {
                Assert.True(other[i].eq(results[0][i]).all().item<bool>(), $"result {i} differs from the one-thread result");
            }
        }

        Assert.True(results[0][1].abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Tensors_that_do_not_fit_the_pattern_are_one_clear_error()
    {
        var pattern = SparsePattern.FromMask(ones(4, 6));
        var shape = Assert.Throws<ArgumentException>(() => SparseLinear.Forward(ones(2, 5), ones(4, 6), null, pattern));
        Assert.Equal("SparseLinear.Forward: the input has shape [2, 5]; give [batch, 6] or [6].", shape.Message);
        var weight = Assert.Throws<ArgumentException>(() => SparseLinear.Forward(ones(2, 6), ones(6, 4), null, pattern));
        Assert.StartsWith("SparseLinear.Forward: the weight has shape [6, 4], its pattern [4, 6]", weight.Message, StringComparison.Ordinal);
        var type = Assert.Throws<ArgumentException>(() => SparseLinear.Forward(ones(2, 6, ScalarType.Float64), ones(4, 6), null, pattern));
        Assert.Equal("SparseLinear.Forward: the sparse training path computes float32 tensors on the CPU.", type.Message);
        var rank = Assert.Throws<ArgumentException>(() => SparsePattern.FromMask(ones(4, 6, 2)));
        Assert.StartsWith("A sparse pattern is built from a weight's mask of two axes [out, in]", rank.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<(string Name, Tensor Value)> StateTensors(TorchSharp.Modules.OptimizerState state) => state switch
    {
        TorchSharp.Modules.SGD.State sgd => [("momentum", sgd.momentum_buffer)],
        TorchSharp.Modules.Adam.State adam => [("first moment", adam.exp_avg), ("second moment", adam.exp_avg_sq)],
        _ => throw new InvalidOperationException($"This test does not read {state.GetType().Name}."),
    };

    /// <summary>Within 1e-5 of the expected figures, relative to the largest of them when it is above 1 (a weight's gradient sums 256 products).</summary>
    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var reference = expected.detach().to(ScalarType.Float64);
        var largest = (reference - actual.detach().to(ScalarType.Float64)).abs().max().item<double>();
        var scale = Math.Max(1, reference.abs().max().item<double>());
        Assert.True(largest <= 1e-5 * scale, $"{what}: largest difference {largest} against figures up to {scale}");
    }
}
