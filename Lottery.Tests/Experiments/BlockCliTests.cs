using System.Globalization;
using Lottery.Masks;
using static Lottery.Tests.Experiments.RunCliTests;
using static TorchSharp.torch;

namespace Lottery.Tests.Experiments;

/// <summary>
/// A model built from blocks end to end as a user runs it, each step a real process: `lottery run tiny-resnet-channels`
/// (the small ResNet pruned by dependency groups), `lottery compact` of a round (in place, by its groups), and `lottery
/// inference`, whose compacted models must classify the test set as the run recorded.
/// </summary>
public sealed class BlockCliTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-block-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_small_ResNet_pruned_by_channels_runs_compacts_in_place_and_measures_with_the_accuracy_it_recorded()
    {
        // SavedModels finds the class a file names among the loaded assemblies.
        Assert.NotNull(typeof(Lottery.Examples.Models.SmallResNet).Assembly);
        var (code, output) = Cli("run", "tiny-resnet-channels", "--out", root);
        Assert.True(code == 0, output);
        var run = Directory.GetDirectories(Path.Combine(root, "runs"), "impchannels-s1-*").Single();

        // A round compacted from its run folder, by the groups traced on an input of the shape given.
        var target = Path.Combine(root, "out", "round-2.compacted");
        (code, output) = Cli("compact", run, "--round", "2", "--input-shape", "1,28,28", "--to", target);
        Assert.True(code == 0, output);
        Assert.Contains("compacted in place by its dependency groups", output, StringComparison.Ordinal);
        var (loaded, kind) = SavedModels.Load(target);
        using (loaded)
        {
            Assert.Equal(ArtifactKind.CompactedModel, kind);
            var (pruned, _) = SavedModels.Load(Path.Combine(run, "rounds", "round-02.pruned"));
            using (pruned)
            {
                using var inputs = rand(32, 1, 28, 28);
                loaded.eval();
                pruned.eval();
                using var difference = (loaded.call(inputs) - pruned.call(inputs)).abs().max();
                Assert.True(difference.item<float>() <= 1e-5, $"largest difference {difference.item<float>()}");
                Assert.True(loaded.parameters().Sum(p => p.numel()) < pruned.parameters().Sum(p => p.numel()) * 0.6);
            }
        }

        (code, output) = Cli("inference", "tiny-resnet-channels", "--out", root, "--repeats", "1");
        Assert.True(code == 0, output);
        var summary = StructuredCliTests.Csv(Path.Combine(root, "tiny-resnet-channels", "summary.csv"));
        var inference = StructuredCliTests.Csv(Path.Combine(root, "tiny-resnet-channels", "inference.csv"));
        var compacted = inference.Where(r => r["variant"] == "compacted" && r["engine"] == "TorchSharp").ToList();
        Assert.Equal(["1", "2", "3"], compacted.Select(r => r["point"]));

        // Every model also ran in ONNX Runtime, exported as the graph of its forward, and predicted every test image as TorchSharp did.
        var onnx = inference.Where(r => r["engine"] == "ONNX Runtime").ToList();
        Assert.Equal(inference.Count(r => r["engine"] == "TorchSharp"), onnx.Count);
        var tested = inference.Single(r => r["variant"] == "dense" && r["engine"] == "TorchSharp");
        Assert.All(onnx, r => Assert.Equal(Lottery.Examples.Data.DigitsSubset.TestImages.ToString(CultureInfo.InvariantCulture), r["same_predictions_as_torchsharp"]));
        foreach (var row in compacted)
        {
            // Each compacted model classifies the test set exactly as the run recorded it, with fewer parameters than its masked self holds in dense tensors.
            var recorded = summary.Single(s => s["arm"] == row["arm"] && s["point"] == row["point"] && s["seed"] == "1");
            Assert.Equal(double.Parse(recorded["test_accuracy_final"], CultureInfo.InvariantCulture), double.Parse(row["test_accuracy"], CultureInfo.InvariantCulture), 4);
            var dense = tested;
            Assert.True(long.Parse(row["parameters"], CultureInfo.InvariantCulture) < long.Parse(dense["parameters"], CultureInfo.InvariantCulture));
            Assert.True(long.Parse(row["file_bytes"], CultureInfo.InvariantCulture) < long.Parse(dense["file_bytes"], CultureInfo.InvariantCulture));
        }
    }
}
