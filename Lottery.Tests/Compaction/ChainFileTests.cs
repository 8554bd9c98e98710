using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Lottery.Compaction;
using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Compaction;

public sealed class ChainFileTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"lottery-chain-file-{Guid.NewGuid():N}");

    public ChainFileTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_compacted_lenet_loads_at_its_compacted_sizes_with_bit_identical_outputs()
    {
        manual_seed(6);
        using var model = new LeNet300100Neurons();
        using (var generator = new Generator(2))
        {
            Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(0.4), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        var hidden1 = model.Fc1Mask.UnitsRemaining;
        var hidden2 = model.Fc2Mask.UnitsRemaining;
        Assert.True(hidden1 < 300 && hidden2 < 100, $"pruning left {hidden1} and {hidden2} neurons");
        using var compacted = model.Compact().Model;
        var path = Path.Combine(folder, "lenet.chain");
        ChainFile.Save(compacted, path, LeNet300100Neurons.ChainInputShape);

        var loaded = ChainFile.LoadWithInputShape(path);
        using var rebuilt = loaded.Model;
        Assert.Equal([784L], loaded.InputShape);
        Assert.False(rebuilt.training);
        var shapes = rebuilt.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal([hidden1, 784L], shapes["fc1.weight"]);
        Assert.Equal([hidden2, hidden1], shapes["fc2.weight"]);
        Assert.Equal([10L, hidden2], shapes["fc3.weight"]);
        Assert.Equal(compacted.named_children().Select(c => (c.name, c.module.GetType())), rebuilt.named_children().Select(c => (c.name, c.module.GetType())));
        AssertSameState(compacted, rebuilt);

        using var inputs = rand(128, 1, 28, 28);
        Assert.Equal(0.0, Compactor.Verify(compacted, rebuilt, inputs, tolerance: 0));
        Assert.True(Compactor.Verify(model, rebuilt, inputs, tolerance: 1e-5) <= 1e-5);

        // Load gives the model alone; a file saved without a shape has none.
        using (var again = ChainFile.Load(path))
        {
            Assert.Equal(0.0, Compactor.Verify(compacted, again, inputs, tolerance: 0));
        }

        ChainFile.Save(compacted, path);
        var withoutShape = ChainFile.LoadWithInputShape(path);
        withoutShape.Model.Dispose();
        Assert.Null(withoutShape.InputShape);
    }

    [Fact]
    public void Every_supported_module_kind_round_trips_with_its_settings_and_outputs()
    {
        manual_seed(13);
        using var oneDimensional = nn.Sequential(
            ("conv", nn.Conv1d(2, 6, 3, stride: 1, padding: 1, dilation: 1, padding_mode: PaddingModes.Reflect)),
            ("norm", nn.BatchNorm1d(6, eps: 1e-3, momentum: 0.05)),
            ("leaky", nn.LeakyReLU(0.1)),
            ("avg", nn.AvgPool1d(2, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false)),
            ("grouped", nn.Conv1d(6, 4, 3, padding: Padding.Same, groups: 2, bias: false)),
            ("gelu", nn.GELU(GELU.Approximate.tanh)),
            ("max", nn.MaxPool1d(3, stride: 2, padding: 1, dilation: 1, ceil_mode: true)),
            ("drop1", nn.Dropout1d(0.25)),
            ("flat", nn.Flatten()),
            ("fc", nn.Linear(4 * 7, 8)),
            ("elu", nn.ELU(0.7)),
            ("silu", nn.SiLU()),
            ("sigmoid", nn.Sigmoid()),
            ("identity", nn.Identity()),
            ("drop", nn.Dropout(0.2)),
            ("out", nn.Linear(8, 3, hasBias: false)));
        using var twoDimensional = nn.Sequential(
            nn.Conv2d(1, 4, (3, 3), stride: (1, 1), padding: (1, 2), dilation: (1, 1), padding_mode: PaddingModes.Zeros),
            nn.BatchNorm2d(4),
            nn.Tanh(),
            nn.MaxPool2d([2, 2], [2, 2], [0, 1], [1, 1], ceil_mode: false),
            nn.Conv2d(4, 5, 2, padding: Padding.Valid),
            nn.ReLU(),
            nn.AvgPool2d([2, 2], [1, 1], [1, 1], ceil_mode: false, count_include_pad: true, divisor_override: 3),
            nn.Dropout2d(0.1),
            nn.Flatten(1, -1),
            nn.Linear(5 * 6 * 8, 4));
        foreach (var norm in new BatchNorm[] { (BatchNorm)oneDimensional[1], (BatchNorm)twoDimensional[1] })
        {
            using var noGrad = no_grad();
            norm.running_mean!.copy_(randn(norm.num_features));
            norm.running_var!.copy_(rand(norm.num_features).add(0.5));
            norm.weight.copy_(randn(norm.num_features));
            norm.bias!.copy_(randn(norm.num_features));
            norm.num_batches_tracked!.fill_(7);
        }

        foreach (var (chain, shape) in new[] { (oneDimensional, new long[] { 2, 22 }), (twoDimensional, new long[] { 1, 12, 13 }) })
        {
            var path = Path.Combine(folder, $"every-kind-{shape.Length}.chain");
            ChainFile.Save(chain, path, shape);
            var loaded = ChainFile.LoadWithInputShape(path);
            using var rebuilt = loaded.Model;
            Assert.Equal(shape, loaded.InputShape);
            Assert.Equal(chain.named_children().Select(c => (c.name, c.module.GetType())), rebuilt.named_children().Select(c => (c.name, c.module.GetType())));
            foreach (var ((_, source), (_, copy)) in chain.named_children().Zip(rebuilt.named_children()))
            {
                Assert.Equal(Settings(source), Settings(copy));
            }

            AssertSameState(chain, rebuilt);
            var description = DescriptionOf(File.ReadAllBytes(path));
            Assert.All(chain.named_children(), child => Assert.Contains($"\"name\": \"{child.name}\",\n      \"kind\": \"{child.module.GetType().Name}\"", description.ReplaceLineEndings("\n")));
            using var inputs = randn([64, .. shape]);
            Assert.Equal(0.0, Compactor.Verify(chain, rebuilt, inputs, tolerance: 0));
        }
    }

    [Fact]
    public void A_damaged_or_truncated_file_is_refused_as_damaged()
    {
        using var chain = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2));
        var path = Path.Combine(folder, "damaged.chain");
        ChainFile.Save(chain, path, [6]);
        var bytes = File.ReadAllBytes(path);

        var flipped = bytes.ToArray();
        flipped[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, flipped);
        var error = Assert.Throws<InvalidDataException>(() => ChainFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("damaged", error.Message);

        foreach (var length in new[] { bytes.Length - 1, bytes.Length / 2, 12, 5, 0 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            error = Assert.Throws<InvalidDataException>(() => ChainFile.Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains("damaged", error.Message);
        }
    }

    [Fact]
    public void A_torchsharp_weights_file_is_not_a_chain_file_and_a_missing_file_is_named()
    {
        using var chain = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2));
        var path = Path.Combine(folder, "weights.dat");
        chain.save(path);
        var error = Assert.Throws<InvalidDataException>(() => ChainFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("not a Lottery chain file", error.Message);

        var missing = Path.Combine(folder, "missing.chain");
        var notFound = Assert.Throws<FileNotFoundException>(() => ChainFile.Load(missing));
        Assert.Contains(missing, notFound.Message);
        Assert.Equal(missing, notFound.FileName);
    }

    [Fact]
    public void A_newer_format_or_an_unknown_module_kind_asks_for_a_newer_lottery()
    {
        using var chain = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2));
        var path = Path.Combine(folder, "newer.chain");
        ChainFile.Save(chain, path);
        var original = File.ReadAllBytes(path);

        RewriteDescription(path, original, json => json.Replace("\"format\": 1", "\"format\": 2"));
        var error = Assert.Throws<InvalidDataException>(() => ChainFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("format 2", error.Message);
        Assert.Contains("Update Lottery", error.Message);

        RewriteDescription(path, original, json => json.Replace("\"ReLU\"", "\"Mish\""));
        error = Assert.Throws<InvalidDataException>(() => ChainFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("module 1 ('1') of kind 'Mish'", error.Message);
        Assert.Contains("Update Lottery", error.Message);

        RewriteDescription(path, original, json => json.Replace("\"kind\": \"ReLU\",", "\"kind\": \"ReLU\", \"beta\": 2,"));
        error = Assert.Throws<InvalidDataException>(() => ChainFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("beta", error.Message);
        Assert.Contains("newer Lottery", error.Message);

        RewriteDescription(path, original, json => json.Replace("\"out_features\": 2", "\"out_features\": 3"));
        error = Assert.Throws<InvalidDataException>(() => ChainFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("weights do not match its description", error.Message);
    }

    [Fact]
    public void An_unsupported_module_or_a_masked_layer_is_refused_by_index_name_and_type()
    {
        var path = Path.Combine(folder, "refused.chain");
        using var custom = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), new Doubling(), nn.Linear(4, 2));
        var error = Assert.Throws<ArgumentException>(() => ChainFile.Save(custom, path));
        Assert.Contains("Module 2 ('2')", error.Message);
        Assert.Contains(nameof(Doubling), error.Message);
        Assert.Contains("Supported modules: Linear", error.Message);

        using var layerNorm = nn.Sequential(("fc", nn.Linear(4, 4)), ("norm", nn.LayerNorm(4)), ("out", nn.Linear(4, 2)));
        error = Assert.Throws<ArgumentException>(() => ChainFile.Save(layerNorm, path));
        Assert.Contains("Module 1 ('norm')", error.Message);
        Assert.Contains("LayerNorm", error.Message);

        using var masked = nn.Sequential(("fc", nn.Linear(4, 4)), ("relu", nn.ReLU()), ("out", nn.Linear(4, 2)));
        using var masks = MaskSet.Attach(masked);
        error = Assert.Throws<ArgumentException>(() => ChainFile.Save(masked, path));
        Assert.Contains("Module 0 ('fc')", error.Message);
        Assert.Contains("weight_mask", error.Message);

        using var mlp = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2));
        error = Assert.Throws<ArgumentException>(() => ChainFile.Save(mlp, path, [5]));
        Assert.Contains("[5]", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_file_of_a_compacted_model_is_smaller_than_the_uncompacted_models_weights_file()
    {
        manual_seed(7);
        using var model = new LeNet300100Neurons();
        using (var generator = new Generator(3))
        {
            Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(0.4), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        }

        using var compacted = model.Compact().Model;
        var chainPath = Path.Combine(folder, "compacted.chain");
        var weightsPath = Path.Combine(folder, "uncompacted.dat");
        ChainFile.Save(compacted, chainPath, LeNet300100Neurons.ChainInputShape);
        model.save(weightsPath);

        // Float32 entries: every parameter's 4 bytes, which each file holds in full.
        var compactedBytes = 4 * compacted.parameters().Sum(p => p.numel());
        var uncompactedBytes = 4 * model.parameters().Sum(p => p.numel());
        var chainSize = new FileInfo(chainPath).Length;
        var weightsSize = new FileInfo(weightsPath).Length;
        Assert.True(weightsSize >= uncompactedBytes, $"the weights file has {weightsSize} bytes for {uncompactedBytes} bytes of parameters");
        Assert.True(chainSize >= compactedBytes, $"the chain file has {chainSize} bytes for {compactedBytes} bytes of parameters");
        Assert.True(chainSize - compactedBytes < 4096, $"the chain file adds {chainSize - compactedBytes} bytes to its parameters");
        Assert.True(chainSize < uncompactedBytes, $"the chain file ({chainSize} bytes) is not smaller than the uncompacted parameters ({uncompactedBytes} bytes)");
        Assert.True(chainSize < weightsSize);
    }

    /// <summary>Every constructor setting a module's public properties show, by name.</summary>
    private static Dictionary<string, string> Settings(nn.Module module) =>
        module.GetType().GetProperties()
            .Where(p => p.PropertyType.IsValueType || p.PropertyType == typeof(long[]))
            .Where(p => p.Name is not ("training" or "IsInvalid"))
            .ToDictionary(p => p.Name, p => p.GetValue(module) is long[] values ? $"[{string.Join(", ", values)}]" : $"{p.GetValue(module)}");

    private static void AssertSameState(nn.Module expected, nn.Module actual)
    {
        var expectedState = expected.state_dict();
        var actualState = actual.state_dict();
        Assert.Equal(expectedState.Keys.Order(), actualState.Keys.Order());
        foreach (var (name, tensor) in expectedState)
        {
            Assert.Equal(tensor.dtype, actualState[name].dtype);
            Assert.Equal(tensor.shape, actualState[name].shape);
            Assert.True(tensor.equal(actualState[name]).all().item<bool>(), $"'{name}' differs");
        }
    }

    /// <summary>The JSON description of a chain file's bytes.</summary>
    private static string DescriptionOf(byte[] file) => Encoding.UTF8.GetString(file, 12, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(8)));

    /// <summary>Rewrites a chain file's description with <paramref name="edit"/>, keeping its weights, with a checksum that matches again.</summary>
    private static void RewriteDescription(string path, byte[] original, Func<string, string> edit)
    {
        const int start = 12;
        var json = DescriptionOf(original);
        var length = Encoding.UTF8.GetByteCount(json);
        var edited = Encoding.UTF8.GetBytes(edit(json));
        Assert.NotEqual(json, Encoding.UTF8.GetString(edited));
        var lengthBytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(lengthBytes, edited.Length);
        byte[] body = [.. original.AsSpan(0, 8), .. lengthBytes, .. edited, .. original.AsSpan(start + length, original.Length - 32 - start - length)];
        File.WriteAllBytes(path, [.. body, .. SHA256.HashData(body)]);
    }

    private sealed class Doubling() : nn.Module<Tensor, Tensor>(nameof(Doubling))
    {
        public override Tensor forward(Tensor input) => input * 2;
    }
}
