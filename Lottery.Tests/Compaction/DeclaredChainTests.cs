using Lottery.Compaction;
using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Compaction;

/// <summary>A chain that leaves out the activation its hand-written forward applies: Compact() must refuse it.</summary>
[Chain(nameof(fc1), nameof(fc2), InputShape = new[] { 6 })]
internal sealed partial class ChainMissingActivation : nn.Module<Tensor, Tensor>
{
    [Prunable(Structure = Structure.Neurons)]
    private readonly Linear fc1 = nn.Linear(6, 8);

    private readonly Linear fc2 = nn.Linear(8, 3);

    public ChainMissingActivation()
        : base(nameof(ChainMissingActivation)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(nn.functional.relu(fc1.forward(input))).MoveToOuterDisposeScope();
    }
}

public sealed class DeclaredChainTests
{
    [Fact]
    public void The_generated_forward_runs_the_declared_chain()
    {
        manual_seed(3);
        using var model = new LeNet300100Neurons();
        using var input = rand(5, 1, 28, 28);
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);

        // The same network written out by hand from its parameters.
        using var hidden1 = nn.functional.relu(nn.functional.linear(input.reshape(5, 784), p["fc1.weight"], p["fc1.bias"]));
        using var hidden2 = nn.functional.relu(nn.functional.linear(hidden1, p["fc2.weight"], p["fc2.bias"]));
        using var expected = nn.functional.linear(hidden2, p["fc3.weight"], p["fc3.bias"]);
        using var actual = model.forward(input);
        Assert.Equal(TestData.Values(expected), TestData.Values(actual));
        Assert.Equal([784L], LeNet300100Neurons.ChainInputShape);
    }

    [Fact]
    public void A_neuron_pruned_model_compacts_to_its_surviving_neurons_with_the_same_outputs_on_the_test_set()
    {
        manual_seed(4);
        using var model = new LeNet300100Neurons();
        var masks = model.AttachMasks();
        using (var random = new Generator(1))
        {
            Pruner.Prune(masks, PruningAmount.ToRemaining(0.3), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
        }

        // Counted here from the masks: the hidden neurons that survive (round(0.3 * 300) = 90, round(0.3 * 100) = 30).
        Assert.Equal(90, model.Fc1Mask.UnitsRemaining);
        Assert.Equal(30, model.Fc2Mask.UnitsRemaining);

        var result = model.Compact();
        using var compacted = result.Model;
        var shapes = compacted.named_parameters().ToDictionary(x => x.name, x => x.parameter.shape);
        Assert.Equal([90L, 784L], shapes["fc1.weight"]);
        Assert.Equal([30L, 90L], shapes["fc2.weight"]);
        Assert.Equal([10L, 30L], shapes["fc3.weight"]);
        Assert.Equal(90 * 784 + 90 + 30 * 90 + 30 + 10 * 30 + 10, result.Report.ParametersAfter);

        using var data = TestData.SmallDigits(train: 20, validation: 10, test: 500);
        var difference = Compactor.Verify(model, compacted, data.Test.Inputs, tolerance: 1e-5);
        Assert.True(difference <= 1e-5, $"largest difference {difference}");
    }

    [Fact]
    public void A_channel_pruned_conv_model_compacts_with_the_same_outputs()
    {
        manual_seed(5);
        using var model = new Conv2Channels();
        var masks = model.AttachMasks();
        using (var random = new Generator(1))
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
        }

        var result = model.Compact();
        using var compacted = result.Model;
        var shapes = compacted.named_parameters().ToDictionary(x => x.name, x => x.parameter.shape);
        Assert.Equal([32L, 1L, 3L, 3L], shapes["conv1.weight"]);
        Assert.Equal([32L, 32L, 3L, 3L], shapes["conv2.weight"]);
        Assert.Equal([128L, 32L * 14 * 14], shapes["fc1.weight"]);
        Assert.Equal([128L, 128L], shapes["fc2.weight"]);

        using var data = TestData.SmallDigits(train: 20, validation: 10, test: 100);
        Compactor.Verify(model, compacted, data.Test.Inputs.reshape(-1, 1, 28, 28), tolerance: 1e-5);
    }

    [Fact]
    public void A_chain_that_is_not_what_forward_computes_is_refused()
    {
        manual_seed(6);
        using var model = new ChainMissingActivation();
        var error = Assert.Throws<CompactionMismatchException>(() => model.Compact());
        Assert.Contains("ChainMissingActivation's declared [Chain] does not compute what its forward computes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_compacted_model_saves_and_loads_like_any_model()
    {
        manual_seed(7);
        using var model = new LeNet300100Neurons();
        using (var random = new Generator(1))
        {
            Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(0.4), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
        }

        using var compacted = model.Compact().Model;
        var path = Path.Combine(Path.GetTempPath(), $"lottery-compacted-{Guid.NewGuid():N}.dat");
        try
        {
            compacted.save(path);
            using var rebuilt = nn.Sequential(
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(784, 180)),
                ("relu1", nn.ReLU()),
                ("fc2", nn.Linear(180, 60)),
                ("relu2", nn.ReLU()),
                ("fc3", nn.Linear(60, 10)));
            rebuilt.load(path);
            using var input = rand(4, 784);
            Compactor.Verify(compacted, rebuilt, input, tolerance: 0);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
