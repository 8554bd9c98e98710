using System.Text.Json;
using System.Text.Json.Serialization;
using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;

namespace Lottery.Tests.Training;

/// <summary>An experiment declared for a GPU, which this project's tests never have (they reference TorchSharp-cpu only).</summary>
#pragma warning disable LTH0009
[Experiment(typeof(LeNet300100), Name = "on-a-gpu", Epochs = 1, Device = "cuda", Schedules = new[] { "EveryEpochMagnitude" })]
internal static partial class OnAGpu;
#pragma warning restore LTH0009

/// <summary>
/// Choosing the device: which names are devices, the one-line refusal of a GPU this machine lacks (before anything is
/// created or written), run identities (a CPU run's is exactly as before devices existed; a GPU run's differs), and
/// training on an explicit <c>cpu</c> computing exactly what the default computes.
/// </summary>
public sealed class DeviceTests : IDisposable
{
    private const string NoCuda =
        "is not available: TorchSharp finds no CUDA. Add the package TorchSharp-cuda-linux (or TorchSharp-cuda-windows) of the TorchSharp version this project uses (0.107.0), "
        + "and run on a machine with an NVIDIA GPU and driver; ";

    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-device-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(null)]
    [InlineData("cpu")]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    [InlineData("cuda:12")]
    public void Cpu_cuda_and_cuda_N_are_devices(string? device)
    {
        Assert.True(TrainingDevice.IsValidName(device));
        var settings = new TrainingSettings { Device = device };
        Assert.Same(settings, settings.Validate());
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("CUDA")]
    [InlineData("gpu")]
    [InlineData("")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:+1")]
    [InlineData("cuda: 1")]
    [InlineData("cuda:1 ")]
    [InlineData("cuda:x")]
    [InlineData("cuda:1234567890")]
    [InlineData("cpu:0")]
    [InlineData("mps")]
    public void Anything_else_is_refused_naming_the_setting_the_value_and_the_allowed_names(string device)
    {
        Assert.False(TrainingDevice.IsValidName(device));
        var error = Assert.ThrowsAny<ArgumentException>(() => new TrainingSettings { Device = device }.Validate());
        Assert.StartsWith($"TrainingSettings.Device: '{device}' is not a device; give cpu, cuda or cuda:N (N the index of a GPU, from 0).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gpu_this_machine_lacks_is_refused_in_one_line_before_the_model_is_created()
    {
        Assert.False(TorchSharp.torch.cuda.is_available(), "the tests reference TorchSharp-cpu only");
        var created = false;
        var error = Assert.Throws<ArgumentException>(() => new PruningRun(
            () =>
            {
                created = true;
                return new TwoLayerNet();
            },
            new TrainingSettings { Device = "cuda:1" },
            new PruningSettings()));

        Assert.Equal($"Device 'cuda:1' (TrainingSettings.Device) {NoCuda}or use Device = \"cpu\" (or leave Device out).", error.Message);
        Assert.False(created, "nothing is created before the device is checked");
        Assert.Throws<ArgumentException>(() => new Trainer(new TwoLayerNet(), new TrainingSettings { Device = "cuda" }));
    }

    [Fact]
    public void A_declared_gpu_is_refused_naming_its_declaration_before_any_folder_is_written()
    {
        Assert.Equal("cuda", OnAGpu.Definition.Training.Device);

        var error = Assert.Throws<ArgumentException>(() => OnAGpu.Run(root));

        Assert.Equal($"Device 'cuda' ([Experiment(Device = \"cuda\")] on Lottery.Tests.Training.OnAGpu) {NoCuda}or use Device = \"cpu\" (or leave Device out).", error.Message);
        Assert.False(Directory.Exists(root), "nothing is written");
    }

    [Fact]
    public void A_cpu_run_keeps_its_identity_set_or_unset_and_a_gpu_run_gets_another()
    {
        // The main job's dense run for seed 1, under the portable numerics profile: its identity is the literal below, each
        // field read against the declaration (LeNet-300-100, 784-300-100-10, the output layer at 10%; Adam 1.2e-3, batch 60,
        // 15 epochs; the embedded digits with 1,000 held out; no pruning), and its id follows the documented recipe
        // (the arm, the seed, then 16 hex digits of the SHA-256 of that text), computed here.
        var experiment = ExperimentCatalog.Find(typeof(LeNet300100).Assembly, "lenet-300-100-mnist-digits");
        Assert.Null(experiment.Training.Device);
        var dense = new RunSpec
        {
            Arm = "Dense",
            Model = ExperimentRunner.DescribeModel(experiment),
            Data = new DataIdentity(experiment.Data.Name, experiment.Data.ContentHash(), experiment.ValidationCount),
            Training = experiment.Training with { Seed = 1 },
            Method = PruningMethod.Dense,
            Numerics = Lottery.Native.Numerics.PortableIdentity,
        };
        var imp = dense with { Arm = "Imp", Method = LeNet300100.PruneSchedules.Imp };
        Assert.Equal(DenseIdentity, dense.ToJson());
        Assert.Equal("dense-s1-" + Sha256Prefix(DenseIdentity), dense.Id);

        // The committed reference run named its folder so: results on disk rely on the recipe and the identity not moving.
        var reference = File.ReadAllLines(Path.Combine(Lottery.Tests.Generators.DiagnosticTests.RepositoryRoot(), "docs", "results", "lenet-300-100-mnist-digits", "summary.csv"))
            .Select(l => l.Split(',')).ToList();
        Assert.Equal(reference.First(r => r[1] == "Dense" && r[5] == "1")[13], "dense-s1-" + Sha256Prefix(DenseIdentity));

        // cpu, given from code or as the option gives it, is the same run as unset, to the byte.
        foreach (var spec in new[] { dense, imp })
        {
            var cpu = spec with { Training = spec.Training with { Device = "cpu" } };
            var fromOption = spec with { Training = spec.Training with { Device = "cpu", DeviceSource = "--device" } };
            Assert.Equal(spec.Id, cpu.Id);
            Assert.Equal(spec.Id, fromOption.Id);
            Assert.Equal(spec.ToJson(), cpu.ToJson());
            Assert.DoesNotContain("Device", cpu.ToJson(), StringComparison.Ordinal);
        }

        // A GPU is another run: its figures differ slightly. Which GPU is not: workers on two GPUs share runs. Its identity
        // is the CPU run's with the device added after the training's last setting.
        var onCuda = DenseIdentity.Replace("\"EvaluateTestEveryEpoch\": true\n", "\"EvaluateTestEveryEpoch\": true,\n    \"Device\": \"cuda\"\n", StringComparison.Ordinal);
        var cuda = dense with { Training = dense.Training with { Device = "cuda" } };
        var cuda1 = dense with { Training = dense.Training with { Device = "cuda:1", DeviceSource = "--device" } };
        Assert.Equal(onCuda, cuda1.ToJson());
        Assert.Equal("dense-s1-" + Sha256Prefix(onCuda), cuda.Id);
        Assert.Equal(cuda.Id, cuda1.Id);
        Assert.NotEqual(dense.Id, cuda.Id);
        Assert.NotEqual(dense.Id, imp.Id);
    }

    /// <summary>The first 16 hex digits of the SHA-256 of the text's UTF-8 bytes.</summary>
    private static string Sha256Prefix(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];

    /// <summary>The identity of the main job's dense run for seed 1 (its <c>settings.json</c>).</summary>
    private const string DenseIdentity = """
        {
          "Format": 4,
          "Model": {
            "Class": "Lottery.Examples.Models.LeNet300100",
            "Parameters": [
              "fc1.weight [300, 784] Float32",
              "fc1.bias [300] Float32",
              "fc2.weight [100, 300] Float32",
              "fc2.bias [100] Float32",
              "fc3.weight [10, 100] Float32",
              "fc3.bias [10] Float32"
            ],
            "Masked": [
              "fc1.weight rate method criterion method",
              "fc2.weight rate method criterion method",
              "fc3.weight rate 0.1 criterion method"
            ]
          },
          "Data": {
            "Name": "mnist-digits",
            "ContentHash": "5e495c205572f7bdd76e92b4ad64fd4a201a5c0279effa27275967f4a2d1214c",
            "ValidationCount": 1000
          },
          "Training": {
            "Epochs": 15,
            "BatchSize": 60,
            "Optimizer": "Adam",
            "LearningRate": 0.0012,
            "Momentum": 0,
            "Nesterov": false,
            "WeightDecay": 0,
            "LearningRateMilestones": [],
            "LearningRateGamma": 0.1,
            "Seed": 1,
            "LossName": "cross-entropy",
            "EvaluateTestEveryEpoch": true
          },
          "Method": {
            "Schedule": null,
            "Rate": 0.2,
            "TargetRemaining": null,
            "Rounds": null,
            "StartEpoch": null,
            "EndEpoch": null,
            "InitialSparsity": 0,
            "Criterion": "Magnitude",
            "Scope": "Layerwise",
            "Rewind": "None",
            "RewindEpoch": 0,
            "Layers": [],
            "InitSeed": null,
            "IsDense": true,
            "RewindValue": {
              "Kind": "None",
              "Epoch": 0,
              "RestoresWeights": false,
              "SnapshotEpoch": 0
            },
            "TrainingRounds": 1
          },
          "Numerics": "portable (ATen, oneDNN and MKL pinned to AVX2)",
          "StartMask": null
        }
        """;

    [Fact]
    public void A_recorded_gpu_device_reads_back()
    {
        var options = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
        var json = JsonSerializer.Serialize(new TrainingSettings { Device = "cuda:1", Seed = 4 }, options);

        var read = JsonSerializer.Deserialize<TrainingSettings>(json, options)!;

        Assert.Equal("cuda", read.Device);
        Assert.Equal(4, read.Seed);
        Assert.Null(JsonSerializer.Deserialize<TrainingSettings>(JsonSerializer.Serialize(new TrainingSettings { Device = "cpu" }, options), options)!.Device);
    }

    [Fact]
    public void Training_on_an_explicit_cpu_gives_exactly_the_figures_and_masks_of_the_default()
    {
        (RunResult Result, Dictionary<string, float[]> Masks) Train(string? device)
        {
            // Random pruning draws from the run's generator, and rewinding restores snapshots: both paths a device touches.
            using var data = TestData.SmallDigits(train: 400, validation: 100, test: 100, seed: 3);
            var pruning = new PruningSettings { Schedule = new EveryEpochSchedule(0.3, 0.4), Criterion = PruningCriteria.Random, Rewind = Rewind.ToInit };
            using var run = new PruningRun(() => new LeNet300100(), new TrainingSettings { Epochs = 3, Seed = 3, Device = device }, pruning);
            var result = run.Execute(data, new CheckpointStore(Path.Combine(root, device ?? "unset")));
            return (result, run.Masks!.Weights.ToDictionary(w => w.Name, w => TestData.Values(w.Mask)));
        }

        var unset = Train(null);
        var cpu = Train("cpu");

        var figures = (RunResult r) => r.Rounds.SelectMany(round => round.Epochs).Select(m => m with { TrainingSeconds = 0 }).ToList();
        Assert.Equal(figures(unset.Result), figures(cpu.Result));
        Assert.Equal(unset.Result.Final.FinalTest, cpu.Result.Final.FinalTest);
        Assert.Equal(unset.Masks.Keys, cpu.Masks.Keys);
        Assert.All(unset.Masks, mask => Assert.Equal(mask.Value, cpu.Masks[mask.Key]));
        Assert.True(unset.Result.Final.WeightsRemaining < 0.75, "the run pruned");
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
