using Lottery.Compaction;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Export;
using Lottery.Masks;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Export;

/// <summary>
/// Exported ONNX files run in ONNX Runtime (no TorchSharp on that side) with TorchSharp's outputs on the embedded test
/// digits: largest difference at most 1e-4 and the same predictions, for an MLP and a conv model, masked and compacted.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private readonly TrainTestData digits = DataSets.Load(DataSets.MnistDigits);

    [Fact]
    public void A_pruned_lenet_masked_and_compacted_runs_in_onnx_runtime_with_torchsharps_outputs()
    {
        manual_seed(11);
        using var model = new LeNet300100Neurons();
        using (var generator = new Generator(3))
        {
            Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        using var masked = model.ToSequential();
        using var compacted = model.Compact().Model;
        Assert.True(compacted.parameters().Sum(p => p.numel()) < masked.parameters().Sum(p => p.numel()) / 2, "compaction removed the pruned neurons");
        foreach (var chain in new[] { masked, compacted })
        {
            AssertSameAsTorchSharp(chain, LeNet300100Neurons.ChainInputShape);
        }
    }

    [Fact]
    public void A_lenet_pruned_to_ten_percent_stores_its_weights_sparsely_in_a_file_a_third_the_size_and_runs_the_same()
    {
        manual_seed(14);
        using var model = new LeNet300100();
        using (var generator = new Generator(6))
        {
            Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(0.9), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        using var masked = model.ToSequential();
        var model10 = OnnxExport.ToModel(masked, LeNet300100.ChainInputShape);
        Assert.Equal(["fc1.weight", "fc2.weight"], model10.Graph.SparseInitializer.Select(s => s.Values.Name).Order());
        Assert.Contains(model10.Graph.Initializer, i => i.Name == "fc3.weight"); // pruned at 10% of the rate: stays dense

        // Dense storage would be 4 bytes a weight; sparse costs 12 bytes a surviving weight.
        var weights = masked.parameters().Sum(p => p.numel());
        var bytes = OnnxExport.ToBytes(masked, LeNet300100.ChainInputShape).Length;
        Assert.True(bytes < 4 * weights / 2.5, $"{bytes} bytes for {weights} parameters");
        AssertSameAsTorchSharp(masked, LeNet300100.ChainInputShape);
    }

    [Fact]
    public void A_pruned_conv_model_masked_and_compacted_runs_in_onnx_runtime_with_torchsharps_outputs()
    {
        manual_seed(12);
        using var model = new Conv2Channels();
        using (var generator = new Generator(4))
        {
            Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(0.3), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        using var masked = model.ToSequential();
        using var compacted = model.Compact().Model;
        foreach (var chain in new[] { masked, compacted })
        {
            AssertSameAsTorchSharp(chain, Conv2Channels.ChainInputShape);
        }
    }

    [Fact]
    public void Lottery_export_writes_a_pruned_model_file_as_onnx_masked_and_compacted()
    {
        manual_seed(13);
        using var model = new LeNet300100Neurons();
        using (var generator = new Generator(5))
        {
            Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        var folder = Path.Combine(Path.GetTempPath(), $"lottery-export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var pruned = Path.Combine(folder, "lenet.pruned");
            model.SavePrunedModel(pruned);
            foreach (var (arguments, file) in new[] { (new[] { "export", pruned }, "lenet.onnx"), (new[] { "export", pruned, "--compact" }, "lenet.compact.onnx") })
            {
                var (code, output) = Experiments.RunCliTests.Cli(arguments);
                Assert.True(code == 0, output);
                Assert.Contains(file, output, StringComparison.Ordinal);
                AssertSameAsTorchSharp(model.ToSequential(), LeNet300100Neurons.ChainInputShape, File.ReadAllBytes(Path.Combine(folder, file)));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_last_layer_named_output_runs_in_onnx_runtime()
    {
        // The graph's closing Identity node was once named "output" too, and ONNX Runtime refused the file.
        manual_seed(15);
        using var chain = nn.Sequential(("flatten", nn.Flatten()), ("hidden", nn.Linear(784, 32)), ("relu", nn.ReLU()), ("output", nn.Linear(32, 10)));
        AssertSameAsTorchSharp(chain, [784]);
    }

    [Fact]
    public void A_layer_onnx_export_does_not_write_is_an_error_naming_it_and_no_file_is_written()
    {
        using var chain = nn.Sequential(("fc", nn.Linear(4, 3)), ("soft", nn.Softmax(1)));
        var path = Path.Combine(Path.GetTempPath(), $"lottery-{Guid.NewGuid():N}.onnx");
        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.Save(chain, path, [4]));
        Assert.StartsWith("Layer 'soft' cannot be exported to ONNX: it is a Softmax", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        using var stats = nn.Sequential(("norm", nn.BatchNorm1d(4, track_running_stats: false)));
        Assert.Contains("Layer 'norm' cannot be exported to ONNX: it keeps no running statistics", Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(stats, [4])).Message, StringComparison.Ordinal);
    }

    public void Dispose() => digits.Dispose();

    /// <summary>Exports <paramref name="chain"/> (or takes the file <paramref name="onnx"/>), runs it in ONNX Runtime on the 2,000 test digits, and compares with TorchSharp.</summary>
    private void AssertSameAsTorchSharp(Sequential chain, IReadOnlyList<long> inputShape, byte[]? onnx = null)
    {
        chain.eval();
        using var scope = NewDisposeScope();
        var inputs = digits.Test.Inputs.to(ScalarType.Float32).reshape([digits.Test.Count, .. inputShape]).contiguous();
        float[] expected;
        using (no_grad())
        {
            expected = chain.call(inputs).contiguous().data<float>().ToArray();
        }

        using var session = new InferenceSession(onnx ?? OnnxExport.ToBytes(chain, inputShape));
        var tensor = new DenseTensor<float>(inputs.data<float>().ToArray(), [(int)digits.Test.Count, .. inputShape.Select(d => (int)d)]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, tensor)]);
        var actual = results.Single(r => r.Name == OnnxExport.OutputName).AsEnumerable<float>().ToArray();

        Assert.Equal(expected.Length, actual.Length);
        var largest = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(largest <= 1e-4, $"largest difference {largest}");
        var classes = expected.Length / (int)digits.Test.Count;
        Assert.Equal(Predictions(expected, classes), Predictions(actual, classes));
    }

    private static int[] Predictions(float[] logits, int classes) =>
        Enumerable.Range(0, logits.Length / classes).Select(i =>
        {
            var row = logits.AsSpan(i * classes, classes);
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            return best;
        }).ToArray();
}
