using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Masks;

/// <summary>LeNet-300-100 with the same layers and no Lottery attributes: what an application without Lottery's generator has.</summary>
internal sealed class PlainLeNet : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = nn.Linear(784, 300);
    private readonly Linear fc2 = nn.Linear(300, 100);
    private readonly Linear fc3 = nn.Linear(100, 10);

    public PlainLeNet()
        : base(nameof(PlainLeNet)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(fc1.forward(input.reshape(input.shape[0], -1)));
        return fc3.forward(nn.functional.relu(fc2.forward(x))).MoveToOuterDisposeScope();
    }
}

public sealed class SparseArtifactTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "lottery-sparse-" + Guid.NewGuid().ToString("N"));

    public SparseArtifactTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    private static LeNet300100 Pruned(double remaining, int seed = 5)
    {
        manual_seed(seed);
        var model = new LeNet300100();
        using var random = new Generator((ulong)seed);
        Pruner.Prune(model.AttachMasks(), PruningAmount.ToRemaining(remaining), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
        return model;
    }

    [Theory]
    [InlineData(ArtifactKind.PrunedModel)]
    [InlineData(ArtifactKind.Ticket)]
    public void Either_artifact_round_trips_bit_for_bit_weights_and_masks(ArtifactKind kind)
    {
        using var model = Pruned(0.07);
        var path = PathOf("model.lts");
        manual_seed(77);
        using var loaded = new LeNet300100();
        if (kind == ArtifactKind.PrunedModel)
        {
            model.SavePrunedModel(path);
            loaded.LoadPrunedModel(path);
        }
        else
        {
            Ticket.Save(model, model.Masks!, path);
            loaded.LoadTicket(path);
        }

        Assert.Equal(kind, ArtifactInfo.Read(path).Kind);

        var expected = model.state_dict();
        var actual = loaded.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            // Bit for bit: the raw bytes, not values within a tolerance. Pruned entries may be -0.0 in the trained
            // model (a negative weight times a zero mask) and load as +0.0; adding +0.0 makes every zero +0.0 and
            // leaves every other value's bits alone.
            using var canonical = tensor + 0f;
            Assert.True(canonical.bytes.SequenceEqual(actual[name].bytes), $"{name} differs after the round trip");
        }

        Assert.Equal(model.WeightsRemaining, loaded.WeightsRemaining);
        Assert.Equal(model.Masks!.Remaining, loaded.Masks!.Remaining);
    }

    [Fact]
    public void A_surviving_weight_that_is_exactly_zero_keeps_its_mask()
    {
        using var model = Pruned(0.5);
        using (var noGrad = no_grad())
        {
            // A survivor whose value happens to be 0: the mask, not the value, says it survives.
            var survivor = model.Fc1Mask.Mask.reshape(-1).nonzero()[0].item<long>();
            model.Fc1Mask.Parameter.view(-1)[survivor] = tensor(0f);
        }

        var path = PathOf("zero.lts");
        model.SavePrunedModel(path);
        using var loaded = new LeNet300100();
        loaded.LoadPrunedModel(path);
        Assert.Equal(TestData.Values(model.Fc1Mask.Mask), TestData.Values(loaded.Fc1Mask.Mask));
    }

    [Fact]
    public void The_file_size_follows_the_weights_remaining_and_is_at_most_12_percent_of_dense_at_7_percent()
    {
        var dense = PathOf("dense.dat");
        using (var plain = new LeNet300100())
        {
            plain.save(dense);
        }

        var denseBytes = new FileInfo(dense).Length;
        var sizes = new List<long>();
        foreach (var remaining in new[] { 0.5, 0.2, 0.07, 0.02 })
        {
            using var model = Pruned(remaining);
            var path = PathOf($"at-{remaining}.lts");
            model.SavePrunedModel(path);
            sizes.Add(new FileInfo(path).Length);
        }

        // Strictly smaller at each lower density.
        Assert.True(sizes.Zip(sizes.Skip(1)).All(p => p.Second < p.First), string.Join(", ", sizes));

        // 7% of LeNet-300-100's 266,200 weights: about 18,600 float32 values (74 kB) plus their positions; the dense
        // TorchSharp file is about 1.07 MB.
        var at7 = sizes[2];
        Assert.True(at7 <= 0.12 * denseBytes, $"{at7} bytes at 7% against {denseBytes} dense ({100.0 * at7 / denseBytes:F1}%)");
        Assert.True(at7 > 0.07 * 266_200 * 4, "the values of the surviving weights alone take more than this");
    }

    [Fact]
    public void A_damaged_or_truncated_file_is_refused_with_its_name()
    {
        using var model = Pruned(0.2);
        var path = PathOf("damaged.lts");
        model.SavePrunedModel(path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        using var other = new LeNet300100();
        var damaged = Assert.Throws<InvalidDataException>(() => other.LoadPrunedModel(path));
        Assert.Contains(path, damaged.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", damaged.Message, StringComparison.Ordinal);

        model.SavePrunedModel(path);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^100]);
        var truncated = Assert.Throws<InvalidDataException>(() => other.LoadPrunedModel(path));
        Assert.Contains("damaged", truncated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_a_valid_checksum_but_a_broken_structure_is_refused_with_its_name()
    {
        using var model = Pruned(0.2);
        var path = PathOf("broken.lts");
        model.SavePrunedModel(path);
        var body = File.ReadAllBytes(path)[..^32];

        // Cut the body short, or leave bytes after its last entry, and seal each with a fresh SHA-256: only the
        // decoder's own checks can catch these.
        foreach (var broken in new[] { body[..(body.Length * 2 / 3)], [.. body, 0, 0, 0] })
        {
            File.WriteAllBytes(path, [.. broken, .. System.Security.Cryptography.SHA256.HashData(broken)]);
            using var target = new LeNet300100();
            var error = Assert.Throws<InvalidDataException>(() => target.LoadPrunedModel(path));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("cannot be read as a sparse file", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Another_models_file_is_refused_naming_the_layers_that_differ()
    {
        manual_seed(1);
        using var small = new LeNet300100(inputs: 100);
        small.AttachMasks();
        var path = PathOf("small.lts");
        small.SavePrunedModel(path);

        using var model = new LeNet300100();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadPrunedModel(path));
        Assert.Contains("fc1.weight is 300x100", error.Message, StringComparison.Ordinal);
        Assert.Contains("300x784", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ticket_and_a_pruned_model_are_not_confused()
    {
        using var model = Pruned(0.3);
        var prunedPath = PathOf("pruned.lts");
        var ticketPath = PathOf("ticket.lts");
        model.SavePrunedModel(prunedPath);
        Ticket.Save(model, model.Masks!, ticketPath);

        using var target = new LeNet300100();
        var asTicket = Assert.Throws<InvalidDataException>(() => target.LoadTicket(prunedPath));
        Assert.Contains("is a pruned model", asTicket.Message, StringComparison.Ordinal);
        Assert.Contains("LoadPrunedModel", asTicket.Message, StringComparison.Ordinal);

        var asModel = Assert.Throws<InvalidDataException>(() => target.LoadPrunedModel(ticketPath));
        Assert.Contains("is a ticket", asModel.Message, StringComparison.Ordinal);
        Assert.Contains("LoadTicket", asModel.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_state_dictionary_loads_into_a_copy_of_the_class_without_attributes()
    {
        using var model = Pruned(0.1);
        var path = PathOf("plain.dat");
        model.SavePlainModel(path);

        manual_seed(42);
        using var plain = new PlainLeNet();
        plain.load(path);   // strict: the file holds exactly the plain class's entries, no masks
        Assert.DoesNotContain(plain.state_dict().Keys, MaskSet.IsMaskBuffer);

        using var input = rand(32, 784);
        using var expected = model.forward(input);
        using var actual = plain.forward(input);
        Assert.Equal(TestData.Values(expected), TestData.Values(actual));
    }

    [Fact]
    public void A_pruned_model_loads_into_a_plain_model_without_masks()
    {
        using var model = Pruned(0.1);
        var path = PathOf("pruned.lts");
        model.SavePrunedModel(path);

        using var plain = new PlainLeNet();
        PrunedModel.Load(plain, path);

        using var input = rand(8, 784);
        using var expected = model.forward(input);
        using var actual = plain.forward(input);
        Assert.Equal(TestData.Values(expected), TestData.Values(actual));
        var zeros = plain.named_parameters().Where(p => p.name == "fc1.weight").Single().parameter.eq(0).sum().item<long>();
        Assert.Equal(model.Fc1Mask.Count - model.Fc1Mask.Remaining, zeros);
    }
}
