using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Generators.Parsing;
using Lottery.Masks;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Generators;

/// <summary>A model declared in the tests: per-layer criterion, per-layer rate with its bias pruned, a global one-shot schedule.</summary>
[PruneSchedule(ScheduleKind.OneShot, TargetRemaining = 0.4, StartEpoch = 1, Scope = PruningScope.Global)]
internal sealed partial class MixedModel : nn.Module<Tensor, Tensor>
{
    [Prunable(Criterion = CriterionKind.Random)]
    private readonly Linear fc1;

    [Prunable(0.5, PruneBias = true)]
    private readonly Linear fc2;

    [Prunable]
    private readonly Linear fc3;

    public MixedModel()
        : base(nameof(MixedModel))
    {
        fc1 = nn.Linear(784, 32);
        fc2 = nn.Linear(32, 16);
        fc3 = nn.Linear(16, 10);
        RegisterComponents();
    }

    public Linear First => fc1;

    public Linear Second => fc2;

    public Linear Third => fc3;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(fc1.forward(input.flatten(1)));
        return fc3.forward(nn.functional.relu(fc2.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Biases pruned on an earlier and a later layer but not between them, each layer a different size, so that a mask
/// found by position instead of by its layer shows in its name and shape.
/// </summary>
internal sealed partial class BiasFirstModel : nn.Module<Tensor, Tensor>
{
    [Prunable(PruneBias = true)]
    private readonly Linear fc1;

    [Prunable]
    private readonly Linear fc2;

    [Prunable(PruneBias = true)]
    private readonly Linear fc3;

    public BiasFirstModel()
        : base(nameof(BiasFirstModel))
    {
        fc1 = nn.Linear(12, 7);
        fc2 = nn.Linear(7, 5);
        fc3 = nn.Linear(5, 3);
        RegisterComponents();
    }

    public Linear Second => fc2;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc3.forward(nn.functional.relu(fc2.forward(nn.functional.relu(fc1.forward(input))))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// PruneBias on a layer created without a bias. The flag is a variable, as when a model's width and bias come
/// from its constructor, so the generator cannot see it (a literal <c>hasBias: false</c> is LTH0023) and the
/// run-time check must catch it.
/// </summary>
internal sealed partial class BiaslessLayerModel : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc1;

    [Prunable(PruneBias = true)]
    private readonly Linear fc2;

    public BiaslessLayerModel(bool fc2HasBias = false)
        : base(nameof(BiaslessLayerModel))
    {
        fc1 = nn.Linear(6, 4);
        fc2 = nn.Linear(4, 3, hasBias: fc2HasBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(nn.functional.relu(fc1.forward(input))).MoveToOuterDisposeScope();
    }
}

/// <summary>Experiments declared in the tests, run at a tiny size (one epoch: the schedule stops early, as LTH0009 says).</summary>
#pragma warning disable LTH0009
[Experiment(typeof(LeNet300100), Epochs = 1, Seeds = new[] { 1, 2 }, Validation = 200, Schedules = new[] { "EveryEpochMagnitude" })]
internal static partial class TinyHypothesis;
#pragma warning restore LTH0009

/// <summary>The generated code at run time: same masks as the runtime API by hand, tickets, typed access, experiments.</summary>
public class GeneratedModelTests
{
    [Fact]
    public void IMP_through_the_generated_code_ends_with_exactly_the_masks_of_IMP_by_hand()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        var training = new TrainingSettings { Epochs = 1, Seed = 5 };
        var byHand = new PruningSettings
        {
            Schedule = new IterativeSchedule(0.2, rounds: 12),
            Criterion = PruningCriteria.Magnitude,
            Rewind = Rewind.ToInit,
            Masks = new MaskOptions { LayerRates = new Dictionary<string, double> { ["fc3"] = 0.1 } },
        };

        using var generated = LeNet300100.CreateRun(training, LeNet300100.PruneSchedules.Imp);
        var generatedResult = generated.Execute(data);
        using var hand = new PruningRun(() => new LeNet300100(), training, byHand);
        var handResult = hand.Execute(data);

        AssertSameMasks(hand.Masks!, generated.Masks!);
        Assert.Equal(13, generatedResult.Rounds.Count);
        Assert.Equal(handResult.Final.FinalTest.Accuracy, generatedResult.Final.FinalTest.Accuracy);
        Assert.Equal(0.0703, generated.WeightsRemaining, 3);
    }

    [Fact]
    public void The_hypothesis_through_the_generated_code_ends_with_exactly_the_masks_of_the_same_schedule_by_hand()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 60, test: 60);
        var training = new TrainingSettings { Epochs = 3, Seed = 2 };
        var byHand = new PruningSettings
        {
            Schedule = new EveryEpochSchedule(0.2, 0.07),
            Criterion = PruningCriteria.LeastChange,
            Rewind = Rewind.None,
            Masks = new MaskOptions { LayerRates = new Dictionary<string, double> { ["fc3"] = 0.1 } },
        };

        using var generated = LeNet300100.CreateRun(training, LeNet300100.PruneSchedules.EveryEpochLeastChange);
        generated.Execute(data);
        using var hand = new PruningRun(() => new LeNet300100(), training, byHand);
        hand.Execute(data);

        AssertSameMasks(hand.Masks!, generated.Masks!);
        Assert.True(generated.WeightsRemaining < 0.6);
    }

    [Fact]
    public void Per_layer_criteria_rates_and_biases_prune_as_the_explicit_runtime_declaration_does()
    {
        manual_seed(11);
        using var generated = new MixedModel();
        manual_seed(11);
        using var hand = new MixedModel();
        var masks = generated.AttachMasks();
        using var handMasks = MaskSet.Attach(hand,
        [
            new PrunableLayer("fc1", hand.First) { Criterion = PruningCriteria.Random },
            new PrunableLayer("fc2", hand.Second) { Rate = 0.5, PruneBias = true },
            new PrunableLayer("fc3", hand.Third),
        ]);

        var settings = MixedModel.PruneSchedules.Default.ToSettings();
        var amount = settings.Schedule!.AfterEpoch(new PruningProgress(0, 1, 1, 1.0))!.Value;
        using (var random = new Generator(3))
        {
            Pruner.Prune(masks, amount, settings.Scope, settings.Criterion, random);
        }

        using (var random = new Generator(3))
        {
            Pruner.Prune(handMasks, amount, PruningScope.Global, PruningCriteria.Magnitude, random);
        }

        AssertSameMasks(handMasks, masks);
        Assert.Equal(["fc1.weight", "fc2.weight", "fc2.bias", "fc3.weight"], masks.Weights.Select(w => w.Name));
        Assert.Same(masks.Weights[2], generated.Fc2BiasMask);
        Assert.True(generated.Fc2BiasSparsity > 0, "the declared bias was not pruned");
        Assert.Equal(generated.Fc1Mask.Sparsity, generated.Fc1Sparsity);
        Assert.Equal(0.4, generated.WeightsRemaining, 3);
        Assert.Equal(CriterionKind.Random, MixedModel.PrunableLayers[0].Criterion);
        Assert.Equal(0.5, MixedModel.PrunableLayers[1].Rate);
    }

    [Fact]
    public void Every_typed_accessor_returns_its_own_layers_mask()
    {
        using var model = new BiasFirstModel();
        var masks = model.AttachMasks();
        // A different count pruned in each mask, written through the layers' own buffers (not through the mask set).
        var pruned = new Dictionary<string, int> { ["fc1.weight"] = 1, ["fc1.bias"] = 2, ["fc2.weight"] = 3, ["fc3.weight"] = 4, ["fc3.bias"] = 1 };
        using (no_grad())
        {
            foreach (var (name, buffer) in model.named_buffers())
            {
                buffer.view(-1).narrow(0, 0, pruned[name[..^MaskSet.MaskBufferSuffix.Length]]).zero_();
            }
        }

        masks.RefreshRemaining();

        AssertMask(model.Fc1Mask, "fc1.weight", [7, 12]);
        AssertMask(model.Fc1BiasMask, "fc1.bias", [7]);
        AssertMask(model.Fc2Mask, "fc2.weight", [5, 7]);
        AssertMask(model.Fc3Mask, "fc3.weight", [3, 5]);
        AssertMask(model.Fc3BiasMask, "fc3.bias", [3]);
        Assert.Same(model.Second, model.Fc2Mask.Layer);
        Assert.Equal(1.0 / 84, model.Fc1Sparsity, 12);
        Assert.Equal(2.0 / 7, model.Fc1BiasSparsity, 12);
        Assert.Equal(3.0 / 35, model.Fc2Sparsity, 12);
        Assert.Equal(4.0 / 15, model.Fc3Sparsity, 12);
        Assert.Equal(1.0 / 3, model.Fc3BiasSparsity, 12);

        static void AssertMask(PrunableWeight weight, string name, long[] shape)
        {
            Assert.Equal(name, weight.Name);
            Assert.Equal(shape, weight.Mask.shape);
        }
    }

    [Fact]
    public void Asking_for_a_parameter_that_has_no_mask_names_the_layer_and_the_parameter()
    {
        using var model = new BiasFirstModel();
        var masks = model.AttachMasks();

        var unmasked = Assert.Throws<InvalidOperationException>(() => masks.Of(model.Second, "bias"));
        Assert.Contains("BiasFirstModel.fc2.bias has no mask", unmasked.Message, StringComparison.Ordinal);
        Assert.Contains("PruneBias = true", unmasked.Message, StringComparison.Ordinal);

        using var stranger = nn.Linear(7, 5);
        var foreign = Assert.Throws<InvalidOperationException>(() => masks.Of(stranger, "weight"));
        Assert.Contains("not a layer of BiasFirstModel", foreign.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_declared_bias_that_the_layer_lacks_is_refused_by_name_before_any_mask_is_attached()
    {
        using var model = new BiaslessLayerModel();

        var error = Assert.Throws<ArgumentException>(() => model.AttachMasks());

        Assert.StartsWith("BiaslessLayerModel.fc2 declares PruneBias = true, but its layer has no bias (it was created with hasBias: false)", error.Message, StringComparison.Ordinal);
        Assert.Null(model.Masks);
        Assert.Empty(model.named_buffers());   // not even fc1, declared before it, got a mask buffer

        using var withBias = new BiaslessLayerModel(fc2HasBias: true);
        Assert.Equal(["fc1.weight", "fc2.weight", "fc2.bias"], withBias.AttachMasks().Weights.Select(w => w.Name));
    }

    [Fact]
    public void A_pruned_model_saved_by_the_generated_code_loads_into_a_fresh_model_exactly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lottery-ticket-{Guid.NewGuid():N}.dat");
        try
        {
            manual_seed(4);
            using var model = new MixedModel();
            using var random = new Generator(1);
            Pruner.Prune(model.AttachMasks(), PruningAmount.ToRemaining(0.3), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
            model.SavePrunedModel(path);

            manual_seed(99);
            using var loaded = new MixedModel();
            Assert.Throws<InvalidOperationException>(() => loaded.Fc1Mask);
            loaded.LoadPrunedModel(path);

            AssertSameMasks(model.Masks!, loaded.Masks!);
            Assert.Equal(TestData.Values(model.First.weight!), TestData.Values(loaded.First.weight!));
            Assert.Equal(model.WeightsRemaining, loaded.WeightsRemaining);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Loading_a_missing_or_foreign_pruned_model_names_the_file_and_the_problem()
    {
        using var model = new MixedModel();
        var missing = Path.Combine(Path.GetTempPath(), $"lottery-missing-{Guid.NewGuid():N}.dat");
        var notFound = Assert.Throws<FileNotFoundException>(() => model.LoadPrunedModel(missing));
        Assert.Contains(missing, notFound.Message, StringComparison.Ordinal);

        var foreign = Path.Combine(Path.GetTempPath(), $"lottery-foreign-{Guid.NewGuid():N}.dat");
        try
        {
            File.WriteAllBytes(foreign, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
            var corrupt = Assert.Throws<InvalidDataException>(() => model.LoadPrunedModel(foreign));
            Assert.Contains(foreign, corrupt.Message, StringComparison.Ordinal);

            using var other = new LeNet300100();
            other.AttachMasks();
            other.SavePrunedModel(foreign);
            var wrong = Assert.Throws<InvalidDataException>(() => model.LoadPrunedModel(foreign));
            Assert.Contains(foreign, wrong.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(MixedModel), wrong.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(foreign);
        }
    }

    [Fact]
    public void A_declared_experiment_runs_every_arm_for_every_seed()
    {
        var output = Path.Combine(Path.GetTempPath(), "lottery-tiny-" + Guid.NewGuid().ToString("N"));
        try
        {
            var rows = TinyHypothesis.Run(output).Rows;

            Assert.Equal([("Dense", 1L), ("EveryEpochMagnitude", 1L), ("Dense", 2L), ("EveryEpochMagnitude", 2L)], rows.Select(r => (r.Arm, r.Seed)));
            Assert.All(rows.Where(r => r.Arm == "Dense"), r => Assert.Equal(100, r.WeightsRemainingPercent));
            Assert.All(rows.Where(r => r.Arm != "Dense"), r => Assert.InRange(r.WeightsRemainingPercent, 79, 81));
            Assert.All(rows, r => Assert.True(r.TestAccuracyFinal > 0.8, $"{r.Arm} seed {r.Seed}: {r.TestAccuracyFinal:P1}"));
            Assert.NotEqual(rows[0].TestAccuracyFinal, rows[2].TestAccuracyFinal);
            Assert.Equal("mnist-digits", TinyHypothesis.Definition.Data.Name);
            Assert.True(File.Exists(Path.Combine(output, nameof(TinyHypothesis), "summary.csv")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void The_generators_names_match_the_runtimes_enums_and_data_sets()
    {
        Assert.Equal(Enum.GetNames<ScheduleKind>(), KnownNames.ScheduleKinds);
        Assert.Equal(Enum.GetNames<CriterionKind>(), KnownNames.CriterionKinds);
        Assert.Equal(Enum.GetNames<PruningScope>(), KnownNames.Scopes);
        Assert.Equal(Enum.GetNames<RewindKind>(), KnownNames.RewindKinds);
        Assert.Equal(Enum.GetNames<OptimizerKind>(), KnownNames.OptimizerKinds);
        Assert.Equal(Lottery.Data.DataSets.Known, KnownNames.DataSets);
        Assert.Equal(PruningCriteria.All.Select(c => c.Name), KnownNames.CriterionKinds);
        // What each built-in criterion needs, as the generator reads it (its copy of CriterionKindNeeds), is what the criterion says it needs.
        var generatorKinds = Enum.GetValues<Lottery.Generators.Vocabulary.CriterionKind>();
        Assert.Equal(PruningCriteria.All.Select(c => (c.Name, (int)c.Needs)), generatorKinds.Select(k => (k.ToString(), (int)CriterionKindNeeds.Of(k))));
        Assert.All(generatorKinds, k => Assert.Equal(CriterionKindNeeds.Of(k).HasFlag(Lottery.Generators.Vocabulary.CriterionNeeds.Training), CriterionKindNeeds.WhyTrainingFirst(k) is not null));
    }

    private static void AssertSameMasks(MaskSet expected, MaskSet actual)
    {
        Assert.Equal(expected.Weights.Select(w => w.Name), actual.Weights.Select(w => w.Name));
        for (var i = 0; i < expected.Weights.Count; i++)
        {
            Assert.Equal(TestData.Values(expected.Weights[i].Mask), TestData.Values(actual.Weights[i].Mask));
        }
    }
}
