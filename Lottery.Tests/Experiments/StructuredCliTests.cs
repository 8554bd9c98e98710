using System.Globalization;
using Lottery.Compaction;
using Lottery.Examples.Models;
using Lottery.Masks;
using static Lottery.Tests.Experiments.RunCliTests;
using static TorchSharp.torch;

namespace Lottery.Tests.Experiments;

/// <summary>
/// The tiny-neurons experiment end to end as a user runs it: `lottery run`, `lottery compact` on a finished run, and
/// `lottery inference`, each a real process; the figures checked against the experiment's own summary and masks.
/// </summary>
public sealed class StructuredCliTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-structured-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_structured_experiment_runs_compacts_and_measures_with_the_accuracy_it_recorded()
    {
        var (code, output) = Cli("run", "tiny-neurons", "--out", root);
        Assert.True(code == 0, output);

        // IMP's last round: 64 neurons, then round(0.3 * 64) = 19 go, then round(0.3 * 45) = 14: 31 remain.
        var imp = Directory.GetDirectories(Path.Combine(root, "runs"), "imp-s1-*").Single();
        var pruned = Path.Combine(imp, "rounds", "round-02.pruned");
        var info = ArtifactInfo.Read(pruned);
        Assert.Equal(ArtifactKind.PrunedModel, info.Kind);
        Assert.Equal((31 * 784) + 31, info.Remaining);   // the surviving neurons' weights, and their biases, which go with them

        // The one-run arm's overlap with IMP at each point: entries kept by both masks over entries kept by either, counted here.
        var rows = Csv(Path.Combine(root, "tiny-neurons", "summary.csv"));
        Assert.All(rows.Where(r => r["arm"] == "Imp"), r => Assert.Equal(string.Empty, r["mask_overlap_with_matched"]));
        foreach (var row in rows.Where(r => r["arm"] == "EveryEpochMagnitude"))
        {
            var point = int.Parse(row["point"], CultureInfo.InvariantCulture);
            using var mine = new SmallMlpNeurons();
            mine.LoadPrunedModel(Path.Combine(root, "runs", row["run"], "rounds", "round-00.pruned"));
            using var theirs = new SmallMlpNeurons();
            theirs.LoadPrunedModel(Path.Combine(imp, "rounds", $"round-{point:00}.pruned"));
            long both = 0, either = 0;
            foreach (var ((name, a), (_, b)) in mine.named_buffers().Zip(theirs.named_buffers()).Where(p => p.First.name.EndsWith("_mask", StringComparison.Ordinal)))
            {
                both += a.ne(0).logical_and(b.ne(0)).sum().item<long>();
                either += a.ne(0).logical_or(b.ne(0)).sum().item<long>();
            }

            Assert.Equal((double)both / either, double.Parse(row["mask_overlap_with_matched"], CultureInfo.InvariantCulture), 4);
            Assert.True(both < either, "the one-run arm kept other neurons than IMP");
        }

        (code, output) = Cli("compact", imp);
        Assert.True(code == 0, output);
        Assert.Contains("units     64 -> 31", output, StringComparison.Ordinal);
        var chain = Path.Combine(imp, "rounds", "round-02.chain");
        using (var loaded = ChainFile.Load(chain))
        {
            var shapes = loaded.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
            Assert.Equal([31L, 784L], shapes["hidden.weight"]);
            Assert.Equal([10L, 31L], shapes["output.weight"]);
        }

        (code, output) = Cli("compact", imp, "--round", "7");
        Assert.Equal(2, code);
        Assert.Contains("has no round 7", output, StringComparison.Ordinal);

        (code, output) = Cli("inference", "tiny-neurons", "--out", root, "--repeats", "1");
        Assert.True(code == 0, output);
        var summary = Csv(Path.Combine(root, "tiny-neurons", "summary.csv"));
        var inference = Csv(Path.Combine(root, "tiny-neurons", "inference.csv"));
        Assert.Equal(["dense", "masked", "compacted"], inference.Select(r => r["variant"]).Distinct().Take(3));
        foreach (var row in inference.Where(r => r["variant"] != "dense"))
        {
            // Every variant of a model classifies the test set exactly as the run recorded it.
            var recorded = summary.Single(s => s["arm"] == row["arm"] && s["point"] == row["point"] && s["seed"] == "1");
            Assert.Equal(double.Parse(recorded["test_accuracy_final"], CultureInfo.InvariantCulture), double.Parse(row["test_accuracy"], CultureInfo.InvariantCulture), 4);
            Assert.True(double.Parse(row["latency_us_batch1"], CultureInfo.InvariantCulture) > 0);
        }

        var compacted = inference.Where(r => r["variant"] == "compacted" && r["engine"] == "TorchSharp").ToList();
        Assert.Equal(4, compacted.Count);
        var dense = inference.Single(r => r["variant"] == "dense" && r["engine"] == "TorchSharp");

        // Every model but the sparse path also runs in ONNX Runtime from its exported file, classifying every test sample as TorchSharp does.
        var onnx = inference.Where(r => r["engine"] == "ONNX Runtime").ToList();
        Assert.Equal(1 + 4 + 4, onnx.Count);
        Assert.All(onnx, r => Assert.Equal("2000", r["same_predictions_as_torchsharp"]));
        Assert.All(onnx, r => Assert.True(double.Parse(r["samples_per_s_batch256"], CultureInfo.InvariantCulture) > 0));
        Assert.All(compacted, r => Assert.True(long.Parse(r["parameters"], CultureInfo.InvariantCulture) < long.Parse(dense["parameters"], CultureInfo.InvariantCulture)));
        Assert.True(File.Exists(Path.Combine(root, "tiny-neurons", "inference-speed.png")));
    }

    /// <summary>A CSV file the CLI wrote (no quoted fields), one dictionary per row by column name.</summary>
    internal static List<Dictionary<string, string>> Csv(string path)
    {
        var lines = File.ReadAllLines(path);
        var headers = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => headers.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
    }
}
