using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Export;
using Lottery.Masks;
using Lottery.Tests.Generators;
using Lottery.Tests.Scale;
using Lottery.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Lottery.Tests.Export;

/// <summary>
/// samples/OnnxDigits, the application that runs an exported model through ONNX Runtime alone, built and run as a user
/// would (<c>dotnet run</c>): it prints the accuracy TorchSharp measures for the same model, its whole output folder is
/// under a tenth of a TorchSharp application's, and a bad input is one line on stderr. One class, so that no two tests
/// build the sample at once.
/// </summary>
public sealed partial class OnnxSampleTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private static readonly string Repository = DiagnosticTests.RepositoryRoot();
    private static readonly string Project = Path.Combine(Repository, "samples", "OnnxDigits", "OnnxDigits.csproj");
    private readonly string folder = Directory.CreateTempSubdirectory("lottery-onnx-sample-").FullName;

    [Fact]
    public void The_sample_prints_the_accuracy_torchsharp_measures_for_a_trained_pruned_compacted_lenet()
    {
        manual_seed(21);
        using var digits = DataSets.Load(DataSets.MnistDigits);
        using var model = new LeNet300100Neurons();
        var masks = model.AttachMasks();
        using (var trainer = new Trainer(model, new TrainingSettings { Epochs = 2, Seed = 21 }, masks))
        {
            // One epoch dense, half of each hidden layer's neurons pruned, one epoch more: a trained pruned model in seconds.
            trainer.TrainEpoch(digits.Train, round: 0, epoch: 1);
            using (var generator = new Generator(21))
            {
                Pruner.Prune(masks, PruningAmount.ByRate(0.5), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
            }

            masks.ApplyToOptimizerState(trainer.Optimizer);
            trainer.TrainEpoch(digits.Train, round: 0, epoch: 2);
        }

        using var compacted = model.Compact().Model;
        var torchSharp = Trainer.Evaluate(compacted, digits.Test);
        var expected = (int)Math.Round(torchSharp.Accuracy * digits.Test.Count);
        Assert.True(expected > 1600, $"the model is trained well above chance: {expected} of {digits.Test.Count} test digits right in TorchSharp");

        // The count of each class predicted too: the accuracy alone hardly moves under some bugs (pixels scaled by 1/64
        // instead of 1/255 change it by one digit in 2,000 here).
        string perClass;
        using (no_grad())
        using (NewDisposeScope())
        {
            var predictions = compacted.call(digits.Test.Inputs).argmax(1);
            perClass = string.Join(", ", bincount(predictions, minlength: 10).data<long>().ToArray().Select((n, c) => $"{c}: {n}"));
        }

        var onnx = Path.Combine(folder, "lenet.compact.onnx");
        OnnxExport.Save(compacted, onnx, LeNet300100Neurons.ChainInputShape);
        var (code, output, errors) = RunSample(onnx);
        Assert.True(code == 0, output + errors);
        log.WriteLine($"TorchSharp: {expected:N0} of {digits.Test.Count:N0} right ({torchSharp.Accuracy:P2}); the sample printed:\n{output}");

        var accuracy = AccuracyLine().Match(output);
        Assert.True(accuracy.Success, $"an accuracy line in the sample's output:\n{output}");
        Assert.Equal(2000, Count(accuracy.Groups["count"].Value));
        Assert.Equal(expected, Count(accuracy.Groups["correct"].Value));
        Assert.Equal((100.0 * expected / 2000).ToString("F2", CultureInfo.InvariantCulture), accuracy.Groups["percent"].Value);
        Assert.Contains($"\npredicted per class: {perClass}\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_samples_whole_output_folder_is_under_a_tenth_of_a_torchsharp_applications()
    {
        var (code, output, errors) = Dotnet("build", Project, "-c", "Release");
        Assert.True(code == 0, output + errors);
        (code, output, errors) = Dotnet("msbuild", Project, "-p:Configuration=Release", "-getProperty:TargetDir");
        Assert.True(code == 0, output + errors);
        var sample = output.Trim();
        Assert.True(File.Exists(Path.Combine(sample, "OnnxDigits.dll")), $"the sample's build output is in {sample}");
        Assert.DoesNotContain(Directory.GetFiles(sample, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase));

        // Lottery.Examples, the `lottery` program: built with these tests, in the same configuration.
        var configuration = Path.GetRelativePath(Path.Combine(Repository, "Lottery.Tests"), AppContext.BaseDirectory);
        var torchSharp = Path.Combine(Repository, "Lottery.Examples", configuration);
        Assert.True(File.Exists(Path.Combine(torchSharp, "TorchSharp.dll")), $"a TorchSharp application's build output in {torchSharp}");

        // The sample is built for this platform (its folder is named after it); Lottery.Examples for any, with LibTorch
        // for several under runtimes/. Measured against the TorchSharp application's files for this platform alone too.
        var platform = Path.GetFileName(Path.TrimEndingDirectorySeparator(sample));
        var sampleBytes = Bytes(sample);
        var torchSharpBytes = Bytes(torchSharp);
        var torchSharpHere = Bytes(torchSharp, f => Path.GetRelativePath(torchSharp, f).Split(Path.DirectorySeparatorChar) is not ["runtimes", var rid, _, ..] || rid == platform);
        log.WriteLine($"sample {sampleBytes:N0} bytes; TorchSharp application {torchSharpBytes:N0} bytes, {torchSharpHere:N0} for {platform} alone");
        Assert.True(
            sampleBytes * 10 < torchSharpHere,
            $"the sample's output folder {sample} holds {sampleBytes:N0} bytes; the TorchSharp application's {torchSharp} {torchSharpBytes:N0} bytes, "
            + $"{torchSharpHere:N0} without other platforms' than {platform} ({100.0 * sampleBytes / torchSharpHere:F1}%)");
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_one_error_line_on_stderr_naming_it_and_exit_code_1()
    {
        var notOnnx = Path.Combine(folder, "digits.onnx");
        File.WriteAllText(notOnnx, "not a model");
        var (code, output, errors) = RunSample(notOnnx);

        Assert.Equal(1, code);
        Assert.Equal("", output.Trim());
        var line = Assert.Single(errors.Trim().Split('\n'));
        Assert.StartsWith($"error: {notOnnx}: ONNX Runtime cannot load it as a model (", line, StringComparison.Ordinal);
        Assert.EndsWith("Give an .onnx file, such as the one `lottery export <run> --to model.onnx` writes.", line.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Images_of_another_size_than_the_models_input_and_a_label_count_that_differs_are_one_error_line_each()
    {
        var onnx = Path.Combine(folder, "linear.onnx");
        using (var chain = nn.Sequential(("fc", nn.Linear(784, 10))))
        {
            OnnxExport.Save(chain, onnx, [784]);
        }

        var small = WriteIdx("small-images.idx", [3, 10, 10]);
        var images = WriteIdx("images.idx", [3, 28, 28]);
        var labels = WriteIdx("labels.idx", [3]);
        var twoLabels = WriteIdx("two-labels.idx", [2]);
        foreach (var (arguments, error) in new[]
        {
            ([onnx, small, labels], $"error: {small}: its images are 10x10 (100 values) but the model {onnx} takes [784] (784 values) for each. Give images of the size the model was trained on."),
            (new[] { onnx, images, twoLabels }, $"error: {twoLabels}: holds 2 labels but {images} holds 3 images. Give the labels of the same images."),
        })
        {
            var (code, output, errors) = Dotnet(["run", "-c", "Release", "--project", Project, "--", .. arguments]);
            Assert.Equal(1, code);
            Assert.Equal("", output.Trim());
            Assert.Equal(error, errors.Trim());
        }
    }

    [Fact]
    public void The_sample_references_only_onnx_runtime_at_the_version_the_repository_pins()
    {
        var sample = XDocument.Load(Project);
        var references = sample.Descendants("PackageReference").Select(r => (string?)r.Attribute("Include")).ToList();
        Assert.Equal(["Microsoft.ML.OnnxRuntime"], references);
        Assert.Empty(sample.Descendants("ProjectReference"));

        // The sample pins its own version (a user's project has no Directory.Packages.props); it must be the repository's.
        var pinned = XDocument.Load(Path.Combine(Repository, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == "Microsoft.ML.OnnxRuntime").Attribute("Version")!.Value;
        Assert.Equal(pinned, sample.Descendants("PackageReference").Single().Attribute("Version")!.Value);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Runs the sample as its README says, on <paramref name="model"/> and the embedded test digits.</summary>
    private static (int Code, string Output, string Errors) RunSample(string model) =>
        Dotnet("run", "-c", "Release", "--project", Project, "--", model);

    private static (int Code, string Output, string Errors) Dotnet(params string[] arguments) =>
        LotteryProcess.RunToEndApart(LotteryProcess.Program(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", arguments), Timeout);

    /// <summary>Writes an IDX file of zero bytes with <paramref name="dimensions"/> (the format's header by hand: 00 00 08, the rank, big-endian sizes).</summary>
    private string WriteIdx(string name, int[] dimensions)
    {
        var path = Path.Combine(folder, name);
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(new byte[] { 0, 0, 0x08, (byte)dimensions.Length });
        foreach (var size in dimensions)
        {
            writer.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(size));
        }

        writer.Write(new byte[dimensions.Aggregate(1, (product, size) => product * size)]);
        return path;
    }

    private static int Count(string digits) => int.Parse(digits, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private static long Bytes(string directory, Func<string, bool>? included = null) =>
        Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Where(included ?? (_ => true)).Sum(f => new FileInfo(f).Length);

    /// <summary>The sample's accuracy line, such as <c>accuracy: 97.35% (1,947 of 2,000)</c>.</summary>
    [GeneratedRegex(@"^accuracy: (?<percent>\d+\.\d\d)% \((?<correct>[\d,]+) of (?<count>[\d,]+)\)\r?$", RegexOptions.Multiline)]
    private static partial Regex AccuracyLine();
}
