using Lottery.Compaction;
using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Export;
using Lottery.Export.Graphs;
using Lottery.Groups;
using Lottery.Masks;
using Lottery.Schedules;
using Lottery.Tests.Groups;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Lottery.Tests.Export;

/// <summary>
/// Models built from blocks export to ONNX as graphs captured from their own forward (the generator's traced copy), dense,
/// masked and compacted in place, and ONNX Runtime computes what TorchSharp computes (largest difference at most 1e-4,
/// the same predictions) at any batch size; what cannot be captured is one error naming it, and no file.
/// </summary>
public sealed class GraphExportTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("lottery-graph-").FullName;

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void The_small_ResNet_dense_masked_and_compacted_runs_in_onnx_runtime_with_torchsharps_outputs()
    {
        manual_seed(31);
        using var model = new SmallResNet();
        using var data = TestData.SmallDigits(train: 10, validation: 10, test: 500);
        var inputs = data.Test.Inputs.to(ScalarType.Float32).view(-1, 784); // flattened: the model's forward views them as images
        AssertSameInOnnxRuntime(model, inputs, [784]);

        using var example = randn(1, 1, 28, 28);
        PruneByGroups(model, example, [16, 1, 28, 28], 0.5);
        AssertSameInOnnxRuntime(model, inputs, [784]);

        var report = Compactor.CompactInPlace(model, example);
        Assert.True(report.ParametersAfter < report.ParametersBefore / 2, report.Describe());
        AssertSameInOnnxRuntime(model, inputs, [784]);
        AssertSameInOnnxRuntime(model, inputs.view(-1, 1, 28, 28), [1, 28, 28]);
    }

    [Fact]
    public void The_small_MobileNet_with_depthwise_convs_and_relu6_dense_and_compacted_runs_in_onnx_runtime()
    {
        manual_seed(32);
        using var model = new SmallMobileNet();
        using var data = TestData.SmallDigits(train: 10, validation: 10, test: 200);
        var images = data.Test.Inputs.to(ScalarType.Float32).view(-1, 1, 28, 28);
        AssertSameInOnnxRuntime(model, images, [1, 28, 28]);

        using var example = randn(1, 1, 28, 28);
        PruneByGroups(model, example, [16, 1, 28, 28], 0.4);
        var report = Compactor.CompactInPlace(model, example);
        Assert.True(report.ParametersAfter < report.ParametersBefore, report.Describe());
        var onnx = OnnxExport.ToModel(GraphCapture.Capture(model, [1, 28, 28]));
        Assert.Contains(onnx.Graph.Node, n => n.OpType == "Conv" && n.Attribute.Any(a => a.Name == "group" && a.I > 1));
        Assert.Contains(onnx.Graph.Node, n => n.OpType == "Clip");
        AssertSameInOnnxRuntime(model, images, [1, 28, 28]);
    }

    [Fact]
    public void The_declared_ResNet18_takes_TorchVisions_weights_computes_what_it_computes_and_exports_dense_and_compacted()
    {
        manual_seed(33);
        using var torchVision = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        using var twin = new ResNet18(classes: 10);
        using var images = randn(6, 3, 32, 32);
        AssertTakesWeightsOf(torchVision, twin, images, tolerance: 0);

        AssertSameInOnnxRuntime(twin, images, [3, 32, 32]);

        using var example = randn(1, 3, 8, 8);
        var (groups, masks) = PruneByGroups(twin, example, [8, 3, 32, 32], 0.5);
        var report = Compactor.CompactInPlace(twin, groups, masks, check: example);
        Assert.True(report.ParametersAfter < report.ParametersBefore / 2, report.Describe());
        AssertSameInOnnxRuntime(twin, images, [3, 32, 32]);
    }

    [Fact]
    public void The_declared_MobileNetV2_takes_TorchVisions_weights_and_exports_dense_and_compacted_to_onnx_runtime_and_pytorch()
    {
        manual_seed(38);
        using var torchVision = TorchSharp.torchvision.models.mobilenet_v2(num_classes: 10);
        using var twin = new Lottery.Examples.Models.MobileNetV2(classes: 10);
        using var images = randn(4, 3, 32, 32);
        AssertTakesWeightsOf(torchVision, twin, images, tolerance: 1e-6);

        AssertSameInOnnxRuntime(twin, images, [3, 32, 32]);

        using var example = randn(1, 3, 8, 8); // tracing the groups of so many layers is quicker on small images
        var (groups, masks) = PruneByGroups(twin, example, [8, 3, 32, 32], 0.3);
        var report = Compactor.CompactInPlace(twin, groups, masks, check: example);
        Assert.True(report.ParametersAfter < report.ParametersBefore, report.Describe());
        AssertSameInOnnxRuntime(twin, images, [3, 32, 32]);
        var keys = AssertSameInPyTorch(twin, images, [3, 32, 32], "mobilenet_v2", PyTorchMasks.Strip).GetProperty("keys").EnumerateArray().Select(k => k.GetString()).ToList();
        Assert.Contains("features.3.conv.1.0.weight", keys);
        Assert.Contains("classifier.1.weight", keys);
    }

    [Fact]
    public void A_chain_model_passed_as_a_module_exports_through_its_generated_forward()
    {
        manual_seed(34);
        using var model = new Conv2();
        using var data = TestData.SmallDigits(train: 10, validation: 10, test: 100);
        AssertSameInOnnxRuntime(model, data.Test.Inputs.to(ScalarType.Float32).view(-1, 1, 28, 28), [1, 28, 28]);
    }

    [Fact]
    public void TorchVisions_compiled_ResNet18_is_one_error_naming_it_and_what_to_use_and_no_file_is_written()
    {
        using var model = TorchSharp.torchvision.models.resnet18(num_classes: 10);
        var path = Path.Combine(Path.GetTempPath(), $"resnet18-{Guid.NewGuid():N}.onnx");
        var error = Assert.Throws<GraphCaptureException>(() => OnnxExport.Save(model, path, [3, 32, 32]));
        Assert.Contains("ResNet has submodules, and its forward is code that graph export cannot read", error.Message, StringComparison.Ordinal);
        Assert.Contains("declared twin", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_transformer_classifier_dense_with_half_its_heads_pruned_and_compacted_runs_in_onnx_runtime_and_pytorch()
    {
        manual_seed(37);
        using var model = new TransformerClassifier();
        using var data = TestData.SmallDigits(train: 10, validation: 10, test: 200);
        var inputs = data.Test.Inputs.to(ScalarType.Float32).view(-1, 784);
        AssertSameInOnnxRuntime(model, inputs, [784]);
        var captured = GraphCapture.Capture(model, [784]);
        Assert.Equal(4, captured.Steps.OfType<ModuleStep>().Single(s => s.Path == "encoder").Transformer!.Heads);

        using var example = randn(1, 784);
        var groups = DependencyGroups.Of(model, example);
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        GroupPruner.Prune(masks, groups, 0.5, PruningScope.Layerwise);
        AssertSameInOnnxRuntime(model, inputs, [784]);

        AssertSameInPyTorch(model, inputs, [784], "transformer_stripped", PyTorchMasks.Strip);
        var kept = AssertSameInPyTorch(model, inputs, [784], "transformer_masked", PyTorchMasks.Keep);
        Assert.Contains("encoder.self_attn.in_proj_weight_mask", kept.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));

        // Compacted: two heads of 8 features left in a width of 32, half the feed-forward neurons.
        Compactor.CompactInPlace(model, example);
        var compacted = GraphCapture.Capture(model, [784]).Steps.OfType<ModuleStep>().Single(s => s.Path == "encoder").Transformer!;
        Assert.Equal((32L, 2L, 8L, 32L), (compacted.Width, compacted.Heads, compacted.HeadSize, compacted.FeedForward));
        AssertSameInOnnxRuntime(model, inputs, [784]);
        AssertSameInPyTorch(model, inputs, [784], "transformer_compacted", PyTorchMasks.Strip);
    }

    [Fact]
    public void A_token_classifier_with_an_embedding_exports_with_integer_inputs_dense_masked_and_compacted_by_heads()
    {
        using var tokens = randint(0, TokenClassifier.Vocabulary, [64, TokenClassifier.Tokens], dtype: ScalarType.Int64, generator: new TorchSharp.torch.Generator(5));
        long[] shape = [TokenClassifier.Tokens];

        // Dense: the file's input is 64-bit indices, and ONNX Runtime and PyTorch compute what TorchSharp computes.
        manual_seed(41);
        using var dense = new TokenClassifier();
        Assert.Equal(ScalarType.Int64, GraphCapture.Capture(dense, shape).InputType);
        using (var session = new InferenceSession(OnnxExport.ToBytes(dense, shape)))
        {
            Assert.Equal(typeof(long), session.InputMetadata[OnnxExport.InputName].ElementType);
        }

        AssertSameInOnnxRuntime(dense, tokens, shape);
        AssertSameInPyTorch(dense, tokens, shape, "tokens_dense", PyTorchMasks.Strip);

        // Every declared weight, the embedding's too, half pruned weight by weight: the lookup reads the masked table.
        using var masked = ExportModels.Pruned(() => new TokenClassifier(), seed: 43, rate: 0.5);
        AssertSameInOnnxRuntime(masked, tokens, shape);
        var kept = AssertSameInPyTorch(masked, tokens, shape, "tokens_masked", PyTorchMasks.Keep);
        Assert.Equal(TokenClassifier.Vocabulary * TokenClassifier.Width / 2, kept.GetProperty("kept").GetProperty("tokens.weight").GetInt64());

        // Half the heads and feed-forward neurons pruned, then removed in place: the embedding's features stay.
        manual_seed(47);
        using var model = new TokenClassifier();
        using var example = tokens[..1];
        var groups = DependencyGroups.Of(model, example);
        Assert.Equal(["encoder (feed-forward neurons)", "encoder (heads)"], groups.Groups.Select(g => g.Label).Order(StringComparer.Ordinal));
        var masks = model.AttachMasks();
        masks.UseGroups(groups);
        GroupPruner.Prune(masks, groups, 0.5, PruningScope.Layerwise);
        AssertSameInOnnxRuntime(model, tokens, shape);
        Compactor.CompactInPlace(model, example);
        var encoder = GraphCapture.Capture(model, shape).Steps.OfType<ModuleStep>().Single(s => s.Path == "encoder").Transformer!;
        Assert.Equal((2L, 16L), (encoder.Heads, encoder.FeedForward));
        AssertSameInOnnxRuntime(model, tokens, shape);
        AssertSameInPyTorch(model, tokens, shape, "tokens_compacted", PyTorchMasks.Strip);
    }

    [Fact]
    public void An_embedding_that_rescales_its_rows_as_it_looks_them_up_is_refused_and_no_file_is_written()
    {
        manual_seed(3);
        using var model = new NormedEmbeddingNet();
        var path = Path.Combine(folder, "normed.onnx");
        var error = Assert.Throws<GraphCaptureException>(() => OnnxExport.Save(model, path, [5]));
        Assert.Equal(
            "Module 'tokens' (Embedding) is an Embedding whose output is not its weight's rows at the given indices (made with max_norm, which rescales rows as it looks them up); graph export writes a plain lookup. Make it without max_norm.",
            error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_module_forward_calls_but_the_model_never_registered_is_refused_naming_its_field()
    {
        using var model = new UnregisteredNet();
        var path = Path.Combine(folder, "unregistered.onnx");
        var error = Assert.Throws<GraphCaptureException>(() => OnnxExport.Save(model, path, [4]));
        Assert.Equal(
            "The model's forward calls 'late' (a Linear), a module not registered in the model: graph export names every module by its place in the model. Assign it before RegisterComponents() in the constructor (RegisterComponents registers the fields that hold modules), or register it with register_module.",
            error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_forward_using_what_graph_export_does_not_write_is_an_error_naming_its_file_and_line()
    {
        using var model = new AbsoluteNet();
        var path = Path.Combine(Path.GetTempPath(), $"absolute-{Guid.NewGuid():N}.onnx");
        var error = Assert.Throws<GraphCaptureException>(() => OnnxExport.Save(model, path, [4]));
        var line = File.ReadLines(SourceFile()).Select((text, i) => (text, i)).Single(l => l.text.EndsWith("=> fc.call(input.abs());", StringComparison.Ordinal)).i + 1;
        Assert.StartsWith($"AbsoluteNet.forward (GraphExportTests.cs, line {line}): graph export does not write the tensor method 'abs'", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_reshape_that_fixes_the_batch_size_is_refused_rather_than_written_for_one_batch_size()
    {
        using var model = new FixedBatchNet();
        var error = Assert.Throws<GraphCaptureException>(() => OnnxExport.ToBytes(model, [4]));
        Assert.Contains("moves the batch axis or fixes its size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_small_ResNet_masked_and_compacted_the_MobileNet_and_the_ResNet18_twin_load_in_PyTorch_with_torchsharps_outputs()
    {
        manual_seed(35);
        using var data = TestData.SmallDigits(train: 10, validation: 10, test: 300);
        var images = data.Test.Inputs.to(ScalarType.Float32).view(-1, 1, 28, 28);
        using var example = randn(1, 1, 28, 28);
        using var resnet = new SmallResNet();
        PruneByGroups(resnet, example, [16, 1, 28, 28], 0.5);
        var masked = AssertSameInPyTorch(resnet, images, [1, 28, 28], "resnet_masked", PyTorchMasks.Keep);
        var maskKeys = masked.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Contains("blocks.1.conv2.weight_orig", maskKeys);
        Assert.Contains("blocks.1.conv2.weight_mask", maskKeys);
        Assert.True(masked.GetProperty("pruned").GetBoolean(), "prune.is_pruned(model) in PyTorch");
        AssertSameInPyTorch(resnet, images, [1, 28, 28], "resnet_stripped", PyTorchMasks.Strip);

        Compactor.CompactInPlace(resnet, example);
        var compacted = AssertSameInPyTorch(resnet, images, [1, 28, 28], "resnet_compacted", PyTorchMasks.Keep);
        Assert.Equal(
            resnet.state_dict().Keys.Where(k => !k.EndsWith(MaskSet.MaskBufferSuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            compacted.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).Where(k => !k.EndsWith("_mask", StringComparison.Ordinal)).Select(k => k.Replace("_orig", string.Empty, StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        using var mobile = new SmallMobileNet();
        AssertSameInPyTorch(mobile, images, [1, 28, 28], "mobilenet", PyTorchMasks.Keep);

        using var twin = new ResNet18(classes: 10);
        using var colour = randn(8, 3, 32, 32);
        using var example3 = randn(1, 3, 8, 8);
        var (groups, masks) = PruneByGroups(twin, example3, [8, 3, 32, 32], 0.5);
        Compactor.CompactInPlace(twin, groups, masks, check: example3);
        var report = AssertSameInPyTorch(twin, colour, [3, 32, 32], "resnet18", PyTorchMasks.Strip);
        Assert.Contains("layer2.0.downsample.0.weight", report.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public void A_module_pytorch_export_has_no_writer_for_is_refused_and_nothing_is_written()
    {
        using var model = new UpsampleNet();
        var path = Path.Combine(Path.GetTempPath(), $"upsample-{Guid.NewGuid():N}.pt");
        var error = Assert.ThrowsAny<NotSupportedException>(() => PyTorchExport.Save(model, path, [1, 4, 4]));
        Assert.StartsWith("Layer 'up' cannot be exported to PyTorch: it is a Upsample", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(PyTorchExport.ModulePath(path)));
        var onnx = Assert.ThrowsAny<NotSupportedException>(() => OnnxExport.ToBytes(model, [1, 4, 4]));
        Assert.StartsWith("Layer 'up' cannot be exported to ONNX: it is a Upsample", onnx.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_export_command_writes_a_pruned_block_model_as_a_graph_compacted_or_not_and_asks_for_the_input_shape()
    {
        manual_seed(36);
        using var model = new SmallResNet();
        using var example = randn(1, 1, 28, 28);
        PruneByGroups(model, example, [16, 1, 28, 28], 0.5);
        var pruned = Path.Combine(folder, "round.pruned");
        model.SavePrunedModel(pruned);

        var (missingCode, missing) = Lottery.Tests.Experiments.RunCliTests.Cli("export", pruned);
        Assert.NotEqual(0, missingCode);
        Assert.Contains("SmallResNet declares no [Chain], so it is exported as the graph of its forward", missing, StringComparison.Ordinal);
        Assert.Contains("--input-shape", missing, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "round.onnx")));

        var (code, output) = Lottery.Tests.Experiments.RunCliTests.Cli("export", pruned, "--compact", "--input-shape", "1,28,28");
        Assert.True(code == 0, output);
        Assert.Contains("the graph of its forward", output, StringComparison.Ordinal);
        var onnx = Path.Combine(folder, "round.compact.onnx");
        var (masked, _) = SavedModels.Load(pruned);
        using (masked)
        {
            using var inputs = randn(32, 1, 28, 28);
            masked.eval();
            using var expected = masked.call(inputs).detach();
            using var session = new InferenceSession(onnx);
            var tensor = new DenseTensor<float>(inputs.contiguous().data<float>().ToArray(), [32, 1, 28, 28]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, tensor)]);
            var actual = results.Single().AsEnumerable<float>().ToArray();
            var largest = TestData.Values(expected).Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(largest <= 1e-4, $"largest difference {largest}");
            Assert.True(new FileInfo(onnx).Length < masked.parameters().Sum(p => p.numel()) * 4 / 2, "the compacted file holds less than half the dense weights");
        }

        var (pyCode, pyOutput) = Lottery.Tests.Experiments.RunCliTests.Cli("export", pruned, "--format", "pytorch", "--input-shape", "1,28,28");
        Assert.True(pyCode == 0, pyOutput);
        Assert.True(File.Exists(Path.Combine(folder, "round.pt")));
        Assert.True(File.Exists(Path.Combine(folder, "round.py")));
    }

    [Fact]
    public void A_volume_model_with_Conv3d_and_BatchNorm3d_runs_in_onnx_runtime_and_pytorch()
    {
        manual_seed(41);
        using var model = new VolumeNet();
        using var warm = randn([16, 1, 4, 6, 6]);
        model.train();
        using (no_grad())
        {
            model.call(warm).Dispose();   // running statistics away from 0 and 1
        }

        using var inputs = randn([12, 1, 4, 6, 6]);
        AssertSameInOnnxRuntime(model, inputs, [1, 4, 6, 6]);
        AssertSameInPyTorch(model, inputs, [1, 4, 6, 6], "volume", PyTorchMasks.Strip);
    }

    [Fact]
    public void A_null_guard_gelus_tanh_approximation_and_an_add_with_alpha_are_written_and_run_in_onnx_runtime_and_pytorch()
    {
        manual_seed(42);
        using var model = new ApproximateNet();
        using var inputs = randn(20, 6);
        AssertSameInOnnxRuntime(model, inputs, [6]);
        AssertSameInPyTorch(model, inputs, [6], "approximate", PyTorchMasks.Strip);
    }

    private System.Text.Json.JsonElement AssertSameInPyTorch(nn.Module<Tensor, Tensor> model, Tensor inputs, long[] inputShape, string name, PyTorchMasks masks)
    {
        model.eval();
        var files = PyTorchExport.Save(model, Path.Combine(folder, name + ".pt"), inputShape, masks);
        using var scope = NewDisposeScope();
        var contiguous = inputs.contiguous();
        using (no_grad())
        {
            var expected = model.call(contiguous).contiguous();
            var inputsFile = Path.Combine(folder, name + ".inputs");
            var expectedFile = Path.Combine(folder, name + ".expected.f32");
            File.WriteAllBytes(inputsFile, contiguous.bytes.ToArray());
            File.WriteAllBytes(expectedFile, expected.bytes.ToArray());
            var report = PyTorchPeer.Run(PyTorchPeer.Check, files.Module, inputsFile, expectedFile, string.Join(",", contiguous.shape), contiguous.dtype == ScalarType.Int64 ? "int64" : "float32");
            var largest = report.GetProperty("largest").GetDouble();
            Assert.True(largest <= 1e-4, $"{name}: largest difference {largest}");
            Assert.Equal(inputs.shape[0], report.GetProperty("same").GetInt64());
            return report;
        }
    }

    [Fact]
    public void Forwards_that_would_give_a_wrong_file_are_refused_and_a_flatten_of_every_axis_is_written_right()
    {
        using var inPlace = new InPlaceReuseNet();
        var reuse = Assert.Throws<GraphCaptureException>(() => OnnxExport.ToBytes(inPlace, [4]));
        Assert.Contains("computes something else than the model", reuse.Message, StringComparison.Ordinal);
        Assert.Contains("In place: 'relu' change their input", reuse.Message, StringComparison.Ordinal);

        using var scaled = new BatchScaledNet();
        var batch = Assert.Throws<GraphCaptureException>(() => OnnxExport.ToBytes(scaled, [4]));
        Assert.Contains("computes a different graph for a batch of 1 than for a batch of 3", batch.Message, StringComparison.Ordinal);

        using var flat = new FlattenAllNet();
        using var inputs = randn(5, 4);
        AssertSameInOnnxRuntime(flat, inputs, [4]);
    }

    /// <summary>Loads <paramref name="torchVision"/>'s state into <paramref name="twin"/> (every name matching) and compares their outputs.</summary>
    private static void AssertTakesWeightsOf(nn.Module<Tensor, Tensor> torchVision, nn.Module<Tensor, Tensor> twin, Tensor images, double tolerance)
    {
        var (missing, unexpected) = twin.load_state_dict(torchVision.state_dict(), strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        torchVision.eval();
        twin.eval();
        using var noGrad = no_grad();
        using var expected = torchVision.call(images);
        using var actual = twin.call(images);
        var largest = (expected - actual).abs().max().item<float>();
        Assert.True(largest <= tolerance, $"largest difference {largest}");
    }

    private static string SourceFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    private static (DependencyGroups Groups, MaskSet Masks) PruneByGroups(nn.Module<Tensor, Tensor> model, Tensor example, long[] warm, double rate)
    {
        var groups = DependencyGroups.Trace(model, example);
        var masks = model is IPrunableModel prunable ? prunable.AttachMasks() : MaskSet.Attach(model, new MaskOptions());
        masks.UseGroups(groups);
        CutByHand.WarmNorms(model, warm);
        GroupPruner.Prune(masks, groups, rate, PruningScope.Layerwise);
        return (groups, masks);
    }

    /// <summary>Exports <paramref name="model"/>, runs it in ONNX Runtime on all of <paramref name="inputs"/> and on the first alone, and compares with TorchSharp.</summary>
    private static void AssertSameInOnnxRuntime(nn.Module<Tensor, Tensor> model, Tensor inputs, long[] inputShape)
    {
        model.eval();
        var bytes = OnnxExport.ToBytes(model, inputShape);
        using var session = new InferenceSession(bytes);
        foreach (var batch in new[] { inputs, inputs[..1] })
        {
            using var scope = NewDisposeScope();
            var contiguous = batch.contiguous();
            float[] expected;
            using (no_grad())
            {
                expected = model.call(contiguous).contiguous().data<float>().ToArray();
            }

            int[] dimensions = [.. contiguous.shape.Select(d => (int)d)];
            var input = contiguous.dtype == ScalarType.Int64
                ? NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, new DenseTensor<long>(contiguous.data<long>().ToArray(), dimensions))
                : NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, new DenseTensor<float>(contiguous.data<float>().ToArray(), dimensions));
            using var results = session.Run([input]);
            var actual = results.Single(r => r.Name == OnnxExport.OutputName).AsEnumerable<float>().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            var largest = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(largest <= 1e-4, $"{model.GetType().Name}, batch {batch.shape[0]}: largest difference {largest}");
            var classes = (int)(expected.Length / batch.shape[0]);
            Assert.Equal(ArgMax(expected, classes), ArgMax(actual, classes));
        }
    }

    private static int[] ArgMax(float[] logits, int classes) =>
        [.. Enumerable.Range(0, logits.Length / classes).Select(i => Array.IndexOf(logits, logits.AsSpan(i * classes, classes).ToArray().Max(), i * classes) - (i * classes))];
}

/// <summary>A model whose forward uses a tensor method graph export does not write (abs).</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class AbsoluteNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc = nn.Linear(4, 2);

    /// <summary>Creates the model.</summary>
    public AbsoluteNet()
        : base(nameof(AbsoluteNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => fc.call(input.abs());
}

/// <summary>A model whose forward writes its batch size (1) into a reshape.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class FixedBatchNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc = nn.Linear(4, 2);

    /// <summary>Creates the model.</summary>
    public FixedBatchNet()
        : base(nameof(FixedBatchNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => fc.call(input.reshape(1, 4));
}

/// <summary>A model with a module graph export has no writer for (Upsample).</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class UpsampleNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv2d conv = nn.Conv2d(1, 2, 3, padding: 1);

    private readonly Upsample up = nn.Upsample(scale_factor: [2.0, 2.0]);

    /// <summary>Creates the model.</summary>
    public UpsampleNet()
        : base(nameof(UpsampleNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => up.call(conv.call(input));
}

/// <summary>A model whose in-place ReLU changes a value forward reads again.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class InPlaceReuseNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear stem = nn.Linear(4, 4);

    private readonly ReLU relu = nn.ReLU(inplace: true);

    [Prunable]
    private readonly Linear fc = nn.Linear(4, 4);

    /// <summary>Creates the model.</summary>
    public InPlaceReuseNet()
        : base(nameof(InPlaceReuseNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        var hidden = stem.call(input);
        return fc.call(relu.call(hidden)) + hidden;
    }
}

/// <summary>A model whose output depends on its batch size.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class BatchScaledNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc = nn.Linear(4, 2);

    /// <summary>Creates the model.</summary>
    public BatchScaledNet()
        : base(nameof(BatchScaledNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => fc.call(input) * (1.0 / input.shape[0]);
}

/// <summary>A model that flattens every axis, the batch too.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class FlattenAllNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc = nn.Linear(4, 2);

    /// <summary>Creates the model.</summary>
    public FlattenAllNet()
        : base(nameof(FlattenAllNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => flatten(fc.call(input));
}

/// <summary>A small model over volumes (a 3-d convolution, its batch norm, a global mean, a Linear head).</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class VolumeNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Conv3d conv = nn.Conv3d(1, 4, 3, padding: 1);

    private readonly BatchNorm3d norm = nn.BatchNorm3d(4);

    [Prunable]
    private readonly Linear head = nn.Linear(4, 3);

    /// <summary>Creates the model.</summary>
    public VolumeNet()
        : base(nameof(VolumeNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => head.call(nn.functional.relu(norm.call(conv.call(input))).mean([2, 3, 4]));
}

/// <summary>A null guard, GELU's tanh approximation and an add with alpha, as a user writes them.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class ApproximateNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc = nn.Linear(6, 6);

    [Prunable]
    private readonly Linear head = nn.Linear(6, 3);

    /// <summary>Creates the model.</summary>
    public ApproximateNet()
        : base(nameof(ApproximateNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var hidden = fc.call(input);
        return head.call(nn.functional.gelu(hidden, GELU.Approximate.tanh).add(hidden, 0.5));
    }
}

/// <summary>
/// A token classifier: an Embedding of 40 tokens looks up 12 tokens an example, Lottery's encoder layer (4 heads of 4, a
/// feed-forward of 32) reads them sequence first, their mean goes to a Linear head. Its input is 64-bit indices.
/// </summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class TokenClassifier : nn.Module<Tensor, Tensor>
{
    /// <summary>The tokens the embedding knows.</summary>
    public const long Vocabulary = 40;

    /// <summary>The tokens of one example.</summary>
    public const long Tokens = 12;

    /// <summary>The embedding's features.</summary>
    public const long Width = 16;

    [Prunable]
    private readonly Embedding tokens = nn.Embedding(Vocabulary, Width);

    [Prunable]
    private readonly Lottery.Layers.EncoderLayer encoder = new(Width, heads: 4, feedForward: 32, dropout: 0.0);

    [Prunable]
    private readonly Linear head = nn.Linear(Width, 3);

    /// <summary>Creates the model.</summary>
    public TokenClassifier()
        : base(nameof(TokenClassifier)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        var embedded = tokens.call(input).transpose(0, 1);   // [tokens, batch, features]
        return head.call(encoder.call(embedded).mean([0]));
    }
}

/// <summary>A model whose Embedding was made with max_norm: it rescales the rows it looks up, in place.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class NormedEmbeddingNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Embedding tokens = nn.Embedding(10, 4, max_norm: 1.0);

    [Prunable]
    private readonly Linear head = nn.Linear(4, 2);

    /// <summary>Creates the model.</summary>
    public NormedEmbeddingNet()
        : base(nameof(NormedEmbeddingNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => head.call(tokens.call(input).mean([1]));
}

/// <summary>A model that makes one of its layers after RegisterComponents, so that the model does not hold it.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
public sealed partial class UnregisteredNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc = nn.Linear(4, 4);

    private readonly Linear late;

    /// <summary>Creates the model.</summary>
    public UnregisteredNet()
        : base(nameof(UnregisteredNet))
    {
        RegisterComponents();
        late = nn.Linear(4, 2);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => late.call(fc.call(input));
}
