using Lottery.Data;
using Lottery.Examples.Experiments;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Masks;
using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Tests.Generators;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Experiments;

/// <summary>One engine: pruning methods as values, the plan of a declared experiment, run identity, and controls as one class each.</summary>
public sealed class ExperimentTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-experiment-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void The_main_job_plans_every_arm_for_every_seed_with_the_control_right_after_imp()
    {
        var plan = ExperimentPlan.Create(LeNetOnDigits.Definition);

        // Per seed: dense, IMP, 3 controls, and 5 one-run arms at 3 points; 3 seeds.
        Assert.Equal(3 * (1 + 1 + 3 + (5 * 3)), plan.Count);
        var seed1 = plan.Where(p => p.Seed == 1).Select(p => (p.Arm.Name, p.Point)).ToList();
        Assert.Equal(
            new[] { ("Dense", 0), ("Imp", 0), ("ImpRandomReinit", 3), ("ImpRandomReinit", 7), ("ImpRandomReinit", 12), ("EveryEpochMagnitude", 3) },
            seed1.Take(6));
        Assert.Equal(15 * 13, plan.Single(p => p.Seed == 2 && p.Arm.Name == "Imp").Epochs);
    }

    [Fact]
    public void A_schedule_with_its_own_epochs_trains_them_and_its_controls_train_as_long_while_IMP_keeps_the_experiment_s()
    {
        var output = Path.Combine(root, "own-epochs");
        var longer = new MatchedArm("Long", new PruningMethod { Schedule = ScheduleKind.EveryEpoch, TargetRemaining = 0.5, Epochs = 3 });
        var experiment = Experiment(hidden: 32, rate: 0.1) with { Arms = [.. Experiment(32, 0.1).Arms.Skip(1), longer, new RewindOnce("Long"), new RewindOnce("Long", 3)] };

        var plan = ExperimentPlan.Create(experiment);
        Assert.Equal(
            new[] { ("Imp", 2, 4), ("ImpRandomReinit", 2, 2), ("Long", 3, 3), ("LongRewindOnce", 3, 3), ("LongRewindOnceToEpoch3", 3, 3) },
            plan.Select(p => (p.Arm.Name, p.EpochsPerRound, p.Epochs)));

        var summary = ExperimentRunner.Run(experiment, output);
        Assert.Equal(
            new[] { ("Imp", 4), ("ImpRandomReinit", 2), ("Long", 3), ("LongRewindOnce", 3), ("LongRewindOnceToEpoch3", 3) },
            summary.Rows.Where(r => r.Point == 1).Select(r => (r.Arm, r.EpochsTrained)).Distinct());

        // A rewind past the schedule's own epochs is refused with the arm's name; IMP's run is the one it was before
        // schedules had epochs of their own (its settings do not change).
        var error = Assert.Throws<ArgumentException>(() => ExperimentPlan.Create(experiment with { Arms = [.. experiment.Arms, new RewindOnce("Long", 4)] }));
        Assert.Contains("LongRewindOnceToEpoch4 rewinds to epoch 4, but a training of Long has 3 epochs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_deep_Fashion_MNIST_experiments_train_IMP_15_epochs_a_round_and_the_one_run_arms_their_own()
    {
        var deep = ExperimentPlan.Create(LeNetOnFashionDeep.Definition).Where(p => p.Seed == 1).ToList();
        Assert.Equal(15 * 20, deep.Single(p => p.Arm.Name == "ImpDeep").Epochs);
        Assert.All(deep.Where(p => p.Arm.Name == "ImpDeepRandomReinit"), p => Assert.Equal(15, p.Epochs));
        Assert.All(deep.Where(p => p.Arm.Name is not ("Dense" or "ImpDeep" or "ImpDeepRandomReinit")), p => Assert.Equal(22, p.Epochs));
        Assert.Equal(new[] { 3, 7, 12, 15, 19 }, deep.Where(p => p.Arm.Name == "RigLDeep").Select(p => p.Point));

        var rates = ExperimentPlan.Create(LeNetOnFashionRates.Definition).Where(p => p.Seed == 1 && p.Arm.Name != "ImpDeep").ToList();
        Assert.Equal(4 * 5, rates.Count);
        Assert.All(rates, p => Assert.Equal(44, p.Epochs));
        Assert.Equal(new[] { 3, 7, 12, 15, 19 }, rates.Select(p => p.Point).Distinct().Order());
    }

    [Fact]
    public void The_Conv_2_ticket_experiment_trains_IMP_5_epochs_a_round_on_the_stated_subset_and_the_one_run_arms_10()
    {
        Assert.Equal("fashion-mnist-first-6000-2000", Conv2OnFashionTicket.Definition.Data.Name);
        var plan = ExperimentPlan.Create(Conv2OnFashionTicket.Definition).Where(p => p.Seed == 1).ToList();
        Assert.Equal(5 * 8, plan.Single(p => p.Arm.Name == "ImpShort").Epochs);
        Assert.All(plan.Where(p => p.Arm.Name == "ImpShortRandomReinit"), p => Assert.Equal(5, p.Epochs));
        var oneRun = plan.Where(p => p.Arm.Name.StartsWith("EveryEpochMagnitudeShort", StringComparison.Ordinal)).ToList();
        Assert.Equal(3 * 2, oneRun.Count);
        Assert.All(oneRun, p => Assert.Equal(10, p.Epochs));
        Assert.Equal(new[] { 3, 7 }, oneRun.Where(p => p.Arm.Name == "EveryEpochMagnitudeShort").Select(p => p.Point));
        Assert.Equal(110, plan.Sum(p => p.Epochs));

        // Its dense reference at the one-run arms' length: the same data, dense only, 10 epochs.
        var dense = ExperimentPlan.Create(Conv2OnFashionDense10.Definition);
        Assert.Equal(Conv2OnFashionTicket.Definition.Data.Name, Conv2OnFashionDense10.Definition.Data.Name);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, dense.Select(p => p.Seed));
        Assert.All(dense, p => Assert.Equal(("Dense", 10), (p.Arm.Name, p.Epochs)));
    }

    [Fact]
    public void A_method_round_trips_through_json_and_reaches_the_runtime_with_nothing_lost()
    {
        var declared = LeNet300100.PruneSchedules.All.Select(a => a.Method).Concat(SmallMlp.PruneSchedules.All.Select(a => a.Method)).ToList();
        var handMade = new PruningMethod
        {
            Schedule = ScheduleKind.Gradual, Rate = 0.3, TargetRemaining = 0.1, StartEpoch = 2, EndEpoch = 9, InitialSparsity = 0.25,
            Criterion = CriterionKind.LeastChange, Scope = PruningScope.Global, Rewind = RewindKind.LearningRate,
            Layers = [new LayerOverride("fc3", 0.05, CriterionKind.Random)], InitSeed = 42,
        };
        foreach (var method in declared.Append(handMade))
        {
            var json = method.ToJson();
            Assert.Equal(method, PruningMethod.FromJson(json));
            Assert.Equal(json, PruningMethod.FromJson(json).ToJson());
        }

        var own = SmallMlp.PruneSchedules.GlobalLateRewind.ToSettings();
        var everyEpoch = Assert.IsType<EveryEpochSchedule>(own.Schedule);
        Assert.Equal((0.2, 0.5, 2, int.MaxValue), (everyEpoch.Rate, everyEpoch.TargetRemaining, everyEpoch.StartEpoch, everyEpoch.EndEpoch));
        Assert.Equal((PruningScope.Global, RewindKind.ToEpoch, 1), (own.Scope, own.Rewind.Kind, own.Rewind.Epoch));

        var gradual = handMade.ToSettings();
        var cubic = Assert.IsType<GradualSchedule>(gradual.Schedule);
        Assert.Equal((0.1, 2, 9, 0.25, 0.3), (cubic.TargetRemaining, cubic.StartEpoch, cubic.EndEpoch, cubic.InitialSparsity, cubic.Rate));
        Assert.Equal(("LeastChange", PruningScope.Global, RewindKind.LearningRate, 42L), (gradual.Criterion.Name, gradual.Scope, gradual.Rewind.Kind, gradual.InitSeed));
        Assert.Equal(new LayerOverride("fc3", 0.05, CriterionKind.Random), Assert.Single(gradual.LayerOverrides));
    }

    [Theory]
    [InlineData(ScheduleKind.EveryEpoch, null, null, "PruningMethod.TargetRemaining: an EveryEpoch schedule needs TargetRemaining, the fraction of the prunable weights to leave, for example 0.1.")]
    [InlineData(ScheduleKind.Gradual, 0.1, null, "PruningMethod.StartEpoch: a Gradual schedule needs StartEpoch and EndEpoch.")]
    [InlineData(ScheduleKind.Gradual, 0.1, 2, "PruningMethod.EndEpoch: a Gradual schedule needs EndEpoch, the epoch after which the target is reached.")]
    [InlineData(ScheduleKind.OneShot, null, 3, "PruningMethod.TargetRemaining: a OneShot schedule needs TargetRemaining, the fraction of the prunable weights to leave, for example 0.1.")]
    public void A_value_a_schedule_needs_is_never_defaulted(ScheduleKind kind, double? target, int? start, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new PruningMethod { Schedule = kind, TargetRemaining = target, StartEpoch = start }.ToSettings()).Message);

    [Fact]
    public void Changing_a_declared_rate_or_a_width_trains_again_and_an_unchanged_model_reads_everything_back()
    {
        var output = Path.Combine(root, "results");
        var first = Run(Experiment(hidden: 32, rate: 0.1), output);
        Assert.Equal((3, 0), first);

        // Unchanged: everything is read back.
        Assert.Equal((0, 3), Run(Experiment(hidden: 32, rate: 0.1), output));

        // The output layer's declared rate changed: the pruned runs train again; the dense run does not prune, but its
        // model's declaration changed too, so it trains again as well (identity covers the declared layer table).
        Assert.Equal((3, 0), Run(Experiment(hidden: 32, rate: 0.5), output));

        // A layer's width changed.
        Assert.Equal((3, 0), Run(Experiment(hidden: 48, rate: 0.1), output));

        // And the first model again: read back.
        Assert.Equal((0, 3), Run(Experiment(hidden: 32, rate: 0.1), output));
    }

    [Fact]
    public void Random_pruning_keeps_each_layers_count_of_the_source_mask_at_other_positions()
    {
        var output = Path.Combine(root, "random-pruning");
        var summary = ExperimentRunner.Run(Experiment(hidden: 32, rate: 0.1) with { Arms = [Experiment(32, 0.1).Arms[1], new RandomPruning("Imp")] }, output);
        var store = new RunStore(Path.Combine(output, "runs"));
        var imp = summary.Rows.Single(r => r.Arm == "Imp" && r.Point == 1);
        var random = summary.Rows.Single(r => r.Arm == "ImpRandomPruning");
        Assert.Equal("FixedMask", random.Schedule);
        Assert.Equal(imp.WeightsRemainingPercent, random.WeightsRemainingPercent);

        var source = store.LoadMasks(imp.Run, 1);
        var shuffled = store.LoadMasks(random.Run, 0);
        Assert.Equal(["fc1.weight", "fc2.weight"], shuffled.Keys.Order());
        foreach (var (name, mask) in source)
        {
            // IMP's round 1 at 20% (fc1, 784x32) and at the declared 10% (fc2, 32x10): the kept counts, by hand.
            var kept = name == "fc1.weight" ? 25_088 - 5_018 : 320 - 32;
            Assert.Equal(kept, mask.sum().item<float>());
            Assert.Equal(kept, shuffled[name].sum().item<float>());
            Assert.False(mask.eq(shuffled[name]).all().item<bool>(), $"{name}: the shuffled mask keeps other positions");
        }

        // The row's accuracy is what the run's saved pruned model scores on the test set, evaluated again here.
        using var reloaded = new RatedNet(32, 0.1);
        var masks = ((IPrunableModel)reloaded).AttachMasks();
        PrunedModel.Load(reloaded, store.PrunedModelPath(random.Run, 0), masks);
        using var data = new SmallDigits().Load();
        Assert.Equal(random.TestAccuracyFinal, Trainer.Evaluate(reloaded, data.Test).Accuracy, 9);
        Assert.Equal(random.WeightsRemainingPercent / 100, masks.WeightsRemaining, 9);
    }

    [Fact]
    public void Rewinding_once_to_an_epoch_keeps_the_source_runs_weights_of_that_epoch_training_the_source_again_when_needed()
    {
        var output = Path.Combine(root, "rewind-once");
        var everyEpoch = new MatchedArm("Ee", new PruningMethod { Schedule = ScheduleKind.EveryEpoch, TargetRemaining = 0.5, StartEpoch = 1 });
        var experiment = Experiment(hidden: 32, rate: 0.1) with { Arms = [Experiment(32, 0.1).Arms[1], everyEpoch] };
        var first = ExperimentRunner.Run(experiment, output);

        // The control needs Ee's weights after epoch 1, which its finished run did not keep: Ee trains again, to the same figures.
        var progress = new Counter();
        var second = ExperimentRunner.Run(experiment with { Arms = [.. experiment.Arms, new RewindOnce("Ee", 1)] }, output, progress);
        Assert.Equal((2, 1), (progress.Trained, progress.Reused));
        Assert.Equal(
            first.Rows.Where(r => r.Arm == "Ee").Select(r => (r.WeightsRemainingPercent, r.TestAccuracyFinal, r.TestAccuracyAtBestValidation)),
            second.Rows.Where(r => r.Arm == "Ee").Select(r => (r.WeightsRemainingPercent, r.TestAccuracyFinal, r.TestAccuracyAtBestValidation)));
        var control = second.Rows.Single(r => r.Arm == "EeRewindOnceToEpoch1");
        var source = second.Rows.Single(r => r.Arm == "Ee");
        Assert.Equal(("FixedMask", source.WeightsRemainingPercent), (control.Schedule, control.WeightsRemainingPercent));

        // The kept weights are those of the same run made by hand, after its first epoch (before that epoch's pruning).
        var store = new RunStore(Path.Combine(output, "runs"));
        using var kept = WeightSnapshot.Load(store.WeightsPath(source.Run, 1));
        var target = second.Rows.Single(r => r.Arm == "Imp" && r.Point == 1).WeightsRemainingPercent / 100;
        using var data = new SmallDigits().Load();
        using var split = DataSplit.HoldOutValidation(data, 100, 1);
        using var byHand = new PruningRun(() => new RatedNet(32, 0.1), experiment.Training with { Seed = 1 }, (everyEpoch.Method with { TargetRemaining = target }).ToSettings());
        var afterFirstEpoch = new SnapshotAfterEpoch(byHand.Model, 1);
        byHand.Hooks.Add(afterFirstEpoch);
        byHand.Execute(split);
        foreach (var name in new[] { "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" })
        {
            Assert.True(kept[name].eq(afterFirstEpoch.Weights![name]).all().item<bool>(), $"{name} after epoch 1");
        }

        // The control trains exactly the source's final mask, from exactly those weights (times the mask): its ticket says so.
        var sourceMasks = store.LoadMasks(source.Run, 0);
        var controlMasks = store.LoadMasks(control.Run, 0);
        Assert.Equal(sourceMasks.Keys.Order(), controlMasks.Keys.Order());
        foreach (var (name, mask) in sourceMasks)
        {
            Assert.True(mask.eq(controlMasks[name]).all().item<bool>(), $"{name}: the control's mask is the source's");
        }

        using (var ticket = new RatedNet(32, 0.1))
        {
            Ticket.Load(ticket, ticket.AttachMasks(), store.TicketPath(control.Run, 0));
            var start = ticket.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var name in new[] { "fc1.weight", "fc2.weight" })
            {
                Assert.True(start[name].eq(kept[name].mul(sourceMasks[name])).all().item<bool>(), $"{name}: the control starts from the source's epoch-1 weights, masked");
            }

            foreach (var name in new[] { "fc1.bias", "fc2.bias" })
            {
                Assert.True(start[name].eq(kept[name]).all().item<bool>(), $"{name}: the control starts from the source's epoch-1 biases");
            }
        }

        // Read back with the weights kept: nothing trains.
        progress = new Counter();
        ExperimentRunner.Run(experiment with { Arms = [.. experiment.Arms, new RewindOnce("Ee", 1)] }, output, progress);
        Assert.Equal((0, 3), (progress.Trained, progress.Reused));
        afterFirstEpoch.Weights!.Dispose();
    }

    [Fact]
    public void A_folder_holding_other_settings_is_never_read_back_as_a_run()
    {
        var store = new RunStore(Path.Combine(root, "runs"));
        var spec = new RunSpec
        {
            Model = new ModelIdentity("Net", ["fc.weight [2, 2] Float32"], []),
            Data = new DataIdentity("data", "abc", 0),
            Training = new TrainingSettings { Seed = 3 },
            Method = PruningMethod.Dense,
            Numerics = Lottery.Native.Numerics.PortableIdentity,
        };
        store.Begin(spec);
        File.WriteAllText(Path.Combine(store.Folder(spec.Id), "settings.json"), (spec with { Data = spec.Data with { ContentHash = "other" } }).ToJson());
        File.WriteAllText(Path.Combine(store.Folder(spec.Id), "result.json"), "{\"Rounds\":[]}");
        var error = Assert.Throws<InvalidDataException>(() => store.TryLoad(spec));
        Assert.Contains("holds other settings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_part_of_a_run_identity_changes_its_id()
    {
        var spec = new RunSpec
        {
            Model = new ModelIdentity("Net", ["fc.weight [2, 2] Float32"], ["fc.weight rate 0.1 criterion method"]),
            Data = new DataIdentity("data", "abc", 100),
            Training = new TrainingSettings { Seed = 3 },
            Method = LeNet300100.PruneSchedules.Imp,
            Numerics = Lottery.Native.Numerics.PortableIdentity,
        };
        Assert.Equal(spec.Id, (spec with { }).Id);
        Assert.Matches("^run-s3-[0-9a-f]{16}$", spec.Id);
        RunSpec[] changed =
        [
            spec with { Model = spec.Model with { Class = "Other" } },
            spec with { Numerics = "native (AVX512 kernels; AuthenticAMD family 25 model 17, AMD EPYC)" },
            spec with { Model = spec.Model with { Parameters = ["fc.weight [2, 3] Float32"] } },
            spec with { Model = spec.Model with { Masked = ["fc.weight rate 0.2 criterion method"] } },
            spec with { Data = spec.Data with { ContentHash = "abd" } },
            spec with { Data = spec.Data with { ValidationCount = 99 } },
            spec with { Training = spec.Training with { Seed = 4 } },
            spec with { Training = spec.Training with { LearningRate = 1e-3 } },
            spec with { Method = spec.Method with { Rounds = 11 } },
            spec with { Method = spec.Method with { InitSeed = 5 } },
            spec with { StartMask = new StartMask("x", 1) },
            spec with { Format = RunSpec.CurrentFormat + 1 },
        ];
        Assert.Equal(changed.Length + 1, changed.Select(c => c.Id[^16..]).Append(spec.Id[^16..]).Distinct().Count());

        // The arm and point name the folder but are not part of what decides the result.
        Assert.Equal(spec.Id[^16..], (spec with { Arm = "Other", Point = 3 }).Id[^16..]);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(100.0)]
    public void An_equivalence_margin_that_is_not_between_0_and_100_points_is_refused_naming_the_setting(double margin)
    {
        Assert.Equal(0.5, LeNetOnDigits.Definition.EquivalenceMargin);
        var error = Assert.Throws<ArgumentException>(() => (Experiment(8, 0.2) with { EquivalenceMargin = margin }).Validate());
        Assert.StartsWith("EquivalenceMargin: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("for example 0.5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_control_is_one_class_that_no_planner_summary_table_chart_or_command_names()
    {
        var repository = DiagnosticTests.RepositoryRoot();
        var mentions = Directory.GetFiles(repository, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}Lottery.Tests{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("RewindOnce", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(repository, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);

        // The control itself, and the experiments that declare it: nothing else knows it exists.
        Assert.Equal(["Lottery.Examples/Experiments/OwnScheduleExperiment.cs", "Lottery.Examples/Experiments/ReferenceExperiments.cs", "Lottery.Runtime/Experiments/Controls/RewindOnce.cs"], mentions);
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static ExperimentDefinition Experiment(int hidden, double rate) => new()
    {
        Name = "identity",
        CreateModel = () => new RatedNet(hidden, rate),
        Data = new SmallDigits(),
        Training = new TrainingSettings { Epochs = 2, BatchSize = 100 },
        Seeds = [1],
        ValidationCount = 100,
        Arms =
        [
            new MethodArm("Dense", PruningMethod.Dense),
            new MethodArm("Imp", new PruningMethod { Schedule = ScheduleKind.Iterative, Rounds = 1, Rewind = RewindKind.ToInit }),
            new RandomReinitialisation("Imp"),
        ],
        Points = new MatchedPoints("Imp", [1]),
    };

    private static (int Trained, int Reused) Run(ExperimentDefinition experiment, string output)
    {
        var progress = new Counter();
        ExperimentRunner.Run(experiment, output, progress);
        return (progress.Trained, progress.Reused);
    }

    private sealed class SnapshotAfterEpoch(nn.Module model, int epoch) : ITrainingHooks
    {
        public WeightSnapshot? Weights { get; private set; }

        public void AfterEpoch(EpochMetrics metrics)
        {
            if (metrics.Round == 0 && metrics.Epoch == epoch)
            {
                Weights = WeightSnapshot.Take(model);
            }
        }
    }

    private sealed class Counter : IExperimentProgress
    {
        public int Trained { get; private set; }

        public int Reused { get; private set; }

        public void Finished(PlannedRun run, RunResult result, bool reused)
        {
            if (reused)
            {
                Reused++;
            }
            else
            {
                Trained++;
            }
        }
    }

    /// <summary>A model whose output layer's declared rate is a constructor argument, standing in for an edited [Prunable(rate)].</summary>
    private sealed class RatedNet : nn.Module<Tensor, Tensor>, IPrunableModel
    {
        private readonly Linear fc1;
        private readonly Linear fc2;
        private readonly double rate;

        public RatedNet(int hidden, double rate)
            : base("RatedNet")
        {
            fc1 = nn.Linear(784, hidden);
            fc2 = nn.Linear(hidden, 10);
            this.rate = rate;
            RegisterComponents();
        }

        public MaskSet? Masks { get; private set; }

        public MaskSet AttachMasks() => Masks ??= MaskSet.Attach(this, [new PrunableLayer("fc1", fc1), new PrunableLayer("fc2", fc2) { Rate = rate }]);

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return fc2.forward(nn.functional.relu(fc1.forward(input.reshape(input.shape[0], -1)))).MoveToOuterDisposeScope();
        }
    }

    /// <summary>600 embedded digits to train on and 300 to test: a data source quick enough for identity tests.</summary>
    private sealed class SmallDigits : IDataSource
    {
        public string Name => "small-digits";

        public string ContentHash() => DataSets.Source(DataSets.MnistDigits).ContentHash() + "/600/300";

        public TrainTestData Load()
        {
            using var all = DataSets.LoadEmbeddedMnistDigits();
            return new TrainTestData(Name, all.Train.Subset(arange(600), "train"), all.Test.Subset(arange(300), "test"));
        }
    }
}
