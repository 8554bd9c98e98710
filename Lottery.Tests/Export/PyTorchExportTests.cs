using System.Text.Json;
using Lottery.Compaction;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Export;
using Lottery.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Export;

/// <summary>
/// PyTorch exports loaded by PyTorch itself (Debian's python3-torch): the generated module builds the equivalent
/// <c>torch.nn.Sequential</c>, loads the state dictionary (masks as <c>torch.nn.utils.prune</c> names them, or
/// stripped), and gives TorchSharp's outputs on the embedded test digits (largest difference at most 1e-4, the same
/// predictions), for an MLP and a conv model, masked and compacted.
/// </summary>
public sealed class PyTorchExportTests : IDisposable
{

    private readonly TrainTestData digits = DataSets.Load(DataSets.MnistDigits);
    private readonly string folder = Directory.CreateTempSubdirectory("lottery-pytorch-").FullName;

    [Fact]
    public void A_pruned_lenet_keeps_its_masks_as_pytorchs_prune_utility_names_them_and_runs_the_same_in_pytorch()
    {
        using var model = PrunedLeNet(seed: 21, rate: 0.8);
        using var chain = model.ToSequential();
        var report = Export(chain, LeNet300100.ChainInputShape, PyTorchMasks.Keep, "lenet");

        string[] keys = ["fc1.bias", "fc1.weight_mask", "fc1.weight_orig", "fc2.bias", "fc2.weight_mask", "fc2.weight_orig", "fc3.bias", "fc3.weight_mask", "fc3.weight_orig"];
        Assert.Equal(keys, report.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).Order(StringComparer.Ordinal));
        Assert.True(report.GetProperty("pruned").GetBoolean(), "prune.is_pruned(model) in PyTorch");
        foreach (var layer in new[] { "fc1", "fc2", "fc3" })
        {
            var mask = chain.named_buffers().Single(b => b.name == $"{layer}.weight_mask").buffer;
            var kept = mask.count_nonzero().item<long>();
            Assert.Equal(kept, report.GetProperty("kept").GetProperty($"{layer}.weight").GetInt64());
            Assert.Equal(mask.numel() - kept, report.GetProperty("zeros").GetProperty(layer).GetInt64());
        }
    }

    [Fact]
    public void A_pruned_lenet_with_its_masks_stripped_has_plain_weights_with_the_pruned_zeros_and_runs_the_same_in_pytorch()
    {
        using var model = PrunedLeNet(seed: 22, rate: 0.8);
        using var chain = model.ToSequential();
        var report = Export(chain, LeNet300100.ChainInputShape, PyTorchMasks.Strip, "lenet-stripped");

        string[] keys = ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "fc3.bias", "fc3.weight"];
        Assert.Equal(keys, report.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).Order(StringComparer.Ordinal));
        Assert.False(report.GetProperty("pruned").GetBoolean(), "no masks once stripped");
        var pruned = chain.named_buffers().Single(b => b.name == "fc1.weight_mask").buffer.eq(0).sum().item<long>();
        Assert.True(report.GetProperty("zeros").GetProperty("fc1").GetInt64() >= pruned);
    }

    [Fact]
    public void A_pruned_lenet_compacted_runs_the_same_in_pytorch_with_the_compacted_sizes()
    {
        using var model = ExportModels.Pruned(() => new LeNet300100Neurons(), seed: 23, rate: 0.5);

        using var compacted = model.Compact().Model;
        var report = Export(compacted, LeNet300100Neurons.ChainInputShape, PyTorchMasks.Keep, "lenet-compact");
        Assert.False(report.GetProperty("pruned").GetBoolean(), "a compacted model has no masks");
        var source = File.ReadAllText(Path.Combine(folder, "lenet_compact.py"));
        var fc1 = (Linear)compacted.named_children().Single(c => c.name == "fc1").module;
        Assert.Contains($"nn.Linear(784, {fc1.out_features}, bias=True)", source, StringComparison.Ordinal);
        Assert.True(fc1.out_features < 300, "compaction removed fc1's pruned neurons");
    }

    [Fact]
    public void A_pruned_conv_model_masked_and_compacted_runs_the_same_in_pytorch()
    {
        using var model = ExportModels.Pruned(() => new Conv2Channels(), seed: 24, rate: 0.3);

        using var masked = model.ToSequential();
        var report = Export(masked, Conv2Channels.ChainInputShape, PyTorchMasks.Keep, "conv");
        Assert.True(report.GetProperty("pruned").GetBoolean());
        Assert.Contains("conv1.weight_mask", report.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));

        using var compacted = model.Compact().Model;
        Export(compacted, Conv2Channels.ChainInputShape, PyTorchMasks.Keep, "conv-compact");
    }

    [Fact]
    public void Lottery_export_writes_a_pruned_model_file_for_pytorch_and_its_ticket()
    {
        using var model = PrunedLeNet(seed: 25, rate: 0.5);
        var pruned = Path.Combine(folder, "lenet.pruned");
        model.SavePrunedModel(pruned);
        using var chain = model.ToSequential();

        var (code, output) = Experiments.RunCliTests.Cli("export", pruned, "--format", "pytorch");
        Assert.True(code == 0, output);
        Assert.Contains("lenet.pt", output, StringComparison.Ordinal);
        Assert.Contains("lenet.py", output, StringComparison.Ordinal);
        AssertSameInPyTorch(chain, LeNet300100.ChainInputShape, Path.Combine(folder, "lenet.py"));

        (code, output) = Experiments.RunCliTests.Cli("export", pruned, "--format", "pytorch", "--strip-masks", "--to", Path.Combine(folder, "plain.pt"));
        Assert.True(code == 0, output);
        Assert.False(AssertSameInPyTorch(chain, LeNet300100.ChainInputShape, Path.Combine(folder, "plain.py")).GetProperty("pruned").GetBoolean());

        // A .pruned file holds trained weights, not the ones training starts from: no ticket can be made of it.
        (code, output) = Experiments.RunCliTests.Cli("export", pruned, "--format", "ticket");
        Assert.Equal(2, code);
        Assert.Contains("run's folder", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Lottery_export_takes_a_runs_ticket_as_a_lottery_ticket_file_and_to_pytorch_to_train_there()
    {
        // A run's folder as a run leaves it: rounds/round-NN.ticket beside rounds/round-NN.pruned.
        using var model = PrunedLeNet(seed: 26, rate: 0.6);
        var run = Path.Combine(folder, "imp-s1-0123456789abcdef");
        Directory.CreateDirectory(Path.Combine(run, "rounds"));
        Ticket.Save(model, model.Masks!, Path.Combine(run, "rounds", "round-01.ticket"));
        using var ticketModel = PrunedLeNet(seed: 26, rate: 0.6);   // the same weights and masks: what the ticket holds
        using var chain = ticketModel.ToSequential();

        // "Training": the pruned model's weights move away from the ticket's (the pruned ones stay zero).
        using (no_grad())
        {
            foreach (var parameter in model.parameters())
            {
                parameter.add_(0.5f);
            }

            model.Masks!.ApplyToWeights();
        }

        model.SavePrunedModel(Path.Combine(run, "rounds", "round-01.pruned"));
        Experiments.HandMadeRuns.Finish(run); // Finished: export takes a run's last round only once the run has its result (and its checksums).

        var copy = Path.Combine(folder, "copy.ticket");
        var (code, output) = Experiments.RunCliTests.Cli("export", run, "--format", "ticket", "--to", copy);
        Assert.True(code == 0, output);
        using (var loaded = new LeNet300100())
        {
            loaded.LoadTicket(copy);
            using var noGrad = no_grad();
            foreach (var ((name, expected), (_, actual)) in ticketModel.named_parameters().Zip(loaded.named_parameters()))
            {
                Assert.True(expected.eq(actual).all().item<bool>(), $"{name} differs in the exported ticket");
            }

            Assert.False(model.named_parameters().First().parameter.eq(loaded.named_parameters().First().parameter).all().item<bool>(), "the ticket, not the trained model");
        }

        (code, output) = Experiments.RunCliTests.Cli("export", run, "--format", "pytorch", "--ticket");
        Assert.True(code == 0, output);
        var report = AssertSameInPyTorch(chain, LeNet300100.ChainInputShape, Path.Combine(run, "rounds", "round_01_ticket.py"));
        Assert.True(report.GetProperty("pruned").GetBoolean(), "the ticket's masks stay applied in PyTorch while it trains");

        // A ticket is no model to run: ONNX refuses it.
        (code, output) = Experiments.RunCliTests.Cli("export", Path.Combine(run, "rounds", "round-01.ticket"));
        Assert.Equal(2, code);
        Assert.Contains("untrained network", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lenet_with_neuron_masks_on_weights_and_biases_keeps_both_masks_in_pytorch()
    {
        using var model = ExportModels.Pruned(() => new LeNet300100Neurons(), seed: 27, rate: 0.5);
        using var chain = model.ToSequential();
        var report = Export(chain, LeNet300100Neurons.ChainInputShape, PyTorchMasks.Keep, "neurons");
        var keys = report.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).ToList();
        Assert.Contains("fc1.bias_orig", keys);
        Assert.Contains("fc1.bias_mask", keys);
        var biasMask = chain.named_buffers().Single(b => b.name == "fc1.bias_mask").buffer;
        Assert.Equal(biasMask.count_nonzero().item<long>(), report.GetProperty("kept").GetProperty("fc1.bias").GetInt64());
    }

    [Fact]
    public void Every_layer_kind_pytorch_export_writes_builds_the_same_module_in_pytorch()
    {
        // One of each kind, on the digits as 28 channels of 28 values; the batch norms with running statistics of their own.
        manual_seed(28);
        using var chain = nn.Sequential(
            ("conv_same", nn.Conv1d(28, 8, 3, padding: TorchSharp.Padding.Same)),
            ("norm", nn.BatchNorm1d(8)),
            ("leaky", nn.LeakyReLU(0.05)),
            ("avg", nn.AvgPool1d(2)),
            ("conv_valid", nn.Conv1d(8, 6, 3, stride: 2, padding: TorchSharp.Padding.Valid, bias: false)),
            ("elu", nn.ELU(0.7)),
            ("conv_sized", nn.Conv1d(6, 6, 3, padding: 1, padding_mode: TorchSharp.PaddingModes.Circular)),
            ("norm_plain", nn.BatchNorm1d(6, affine: false)),
            ("gelu", nn.GELU(GELU.Approximate.tanh)),
            ("max", nn.MaxPool1d(2, stride: 1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(30, 16)),
            ("silu", nn.SiLU()),
            ("drop", nn.Dropout(0.3)),
            ("tanh", nn.Tanh()),
            ("fc_last", nn.Linear(16, 10)),
            ("sigmoid", nn.Sigmoid()),
            ("same", nn.Identity()));
        using (no_grad())
        {
            foreach (var norm in chain.children().OfType<BatchNorm>())
            {
                norm.running_mean!.uniform_(-0.5, 0.5);
                norm.running_var!.uniform_(0.5, 2.0);
            }
        }

        // A description with a Windows path and closing quotes must not break the module's docstring.
        var files = PyTorchExport.Save(chain, Path.Combine(folder, "kinds.pt"), [28, 28], PyTorchMasks.Keep, @"From C:\Users\new\runs\x12 """"""quoted"""""".");
        AssertSameInPyTorch(chain, [28, 28], files.Module);
    }

    [Fact]
    public void A_pytorch_export_never_writes_its_module_over_the_state_dictionary_nor_names_it_after_what_it_imports()
    {
        using var chain = nn.Sequential(("fc", nn.Linear(4, 3)));
        var error = Assert.Throws<ArgumentException>(() => PyTorchExport.Save(chain, Path.Combine(folder, "model.py"), [4]));
        Assert.Contains("give a .pt file", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder, "model*"));
        Assert.Equal(Path.Combine(folder, "torch_model.py"), PyTorchExport.Save(chain, Path.Combine(folder, "torch.pt"), [4]).Module);
        Assert.Equal(Path.Combine(folder, "class_model.py"), PyTorchExport.ModulePath(Path.Combine(folder, "class.pt")));
    }

    [Fact]
    public void A_layer_pytorch_export_does_not_write_is_an_error_naming_it_and_no_file_is_written()
    {
        using var chain = nn.Sequential(("fc", nn.Linear(4, 3)), ("soft", nn.Softmax(1)));
        var path = Path.Combine(folder, "soft.pt");
        var error = Assert.Throws<NotSupportedException>(() => PyTorchExport.Save(chain, path, [4]));
        Assert.StartsWith("Layer 'soft' cannot be exported to PyTorch: it is a Softmax", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(Path.Combine(folder, "soft.py")));
    }

    public void Dispose()
    {
        digits.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static LeNet300100 PrunedLeNet(int seed, double rate) => ExportModels.Pruned(() => new LeNet300100(), seed, rate);

    /// <summary>Exports <paramref name="chain"/> to the test's folder and checks it in PyTorch against TorchSharp.</summary>
    private JsonElement Export(Sequential chain, IReadOnlyList<long> inputShape, PyTorchMasks masks, string name)
    {
        var files = PyTorchExport.Save(chain, Path.Combine(folder, name + ".pt"), inputShape, masks);
        Assert.Equal(Path.Combine(folder, name.Replace('-', '_') + ".py"), files.Module);
        return AssertSameInPyTorch(chain, inputShape, files.Module);
    }

    /// <summary>Runs the exported module in PyTorch on the 2,000 test digits and compares with TorchSharp's outputs.</summary>
    private JsonElement AssertSameInPyTorch(Sequential chain, IReadOnlyList<long> inputShape, string module)
    {
        chain.eval();
        using var scope = NewDisposeScope();
        var inputs = digits.Test.Inputs.to(ScalarType.Float32).reshape([digits.Test.Count, .. inputShape]).contiguous();
        using (no_grad())
        {
            var expected = chain.call(inputs).contiguous();
            var inputsFile = Path.Combine(folder, "inputs.f32");
            var expectedFile = Path.Combine(folder, "expected.f32");
            File.WriteAllBytes(inputsFile, inputs.bytes.ToArray());
            File.WriteAllBytes(expectedFile, expected.bytes.ToArray());
            var report = PyTorchPeer.Run(PyTorchPeer.Check, module, inputsFile, expectedFile, string.Join(",", inputs.shape));
            var largest = report.GetProperty("largest").GetDouble();
            Assert.True(largest <= 1e-4, $"largest difference {largest}");
            Assert.Equal(digits.Test.Count, report.GetProperty("count").GetInt64());
            Assert.Equal(digits.Test.Count, report.GetProperty("same").GetInt64());
            return report;
        }
    }
}
