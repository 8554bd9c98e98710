using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Generators;

/// <summary>Golden-file tests of the generated text; each case must also compile cleanly with nullable on.</summary>
public class GeneratedCodeTests
{
    public static TheoryData<string> Cases => [.. Sources.Keys];

    private static readonly Dictionary<string, string[]> Sources = new()
    {
        ["LeNetWithLayerRates"] =
        [
            Usings + """
            namespace Demo.Models;

            [PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 12)]
            public sealed partial class LeNet : nn.Module<Tensor, Tensor>
            {
                [Prunable] private readonly Linear fc1;
                [Prunable(Criterion = CriterionKind.LeastChange)] private readonly Linear fc2;
                [Prunable(0.1, PruneBias = true)] private readonly Linear fc3;

                public LeNet() : base(nameof(LeNet))
                {
                    fc1 = nn.Linear(784, 300);
                    fc2 = nn.Linear(300, 100);
                    fc3 = nn.Linear(100, 10);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor input) => fc3.forward(fc2.forward(fc1.forward(input)));
            }
            """,
        ],
        ["ConvModel"] =
        [
            Usings + """
            namespace Demo.Models;

            [PruneSchedule(ScheduleKind.EveryEpoch, Rate = 0.1, TargetRemaining = 0.5, StartEpoch = 2, Scope = PruningScope.Global)]
            public partial class SmallConv : nn.Module<Tensor, Tensor>
            {
                [Prunable(0.15)] private readonly Conv2d conv;
                [Prunable] private readonly Linear output;

                public SmallConv(int classes = 10) : base(nameof(SmallConv))
                {
                    conv = nn.Conv2d(1, 8, 3);
                    output = nn.Linear(8 * 26 * 26, classes);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor input) => output.forward(conv.forward(input).flatten(1));
            }
            """,
        ],
        ["NestedBlocks"] =
        [
            Usings + """
            namespace Demo.Models;

            public sealed partial class Block : nn.Module<Tensor, Tensor>
            {
                [Prunable] private readonly Conv2d conv;
                [Prunable(0.3)] private readonly Conv2d? projection;

                public Block(int inChannels, int outChannels) : base(nameof(Block))
                {
                    conv = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
                    if (inChannels != outChannels)
                    {
                        projection = nn.Conv2d(inChannels, outChannels, 1);
                    }

                    RegisterComponents();
                }

                public override Tensor forward(Tensor input) => conv.forward(input) + (projection is null ? input : projection.forward(input));
            }

            [PruneSchedule(ScheduleKind.Iterative, Rounds = 2)]
            public sealed partial class Blocks : nn.Module<Tensor, Tensor>
            {
                private readonly Sequential body;

                public Blocks() : base(nameof(Blocks))
                {
                    body = nn.Sequential(new Block(1, 4), new Block(4, 4));
                    RegisterComponents();
                }

                public override Tensor forward(Tensor input) => body.forward(input);
            }
            """,
        ],
        ["ChainedModel"] =
        [
            Usings + """
            namespace Demo.Models;

            // A declared chain, neuron pruning, and no forward of its own: the generator writes forward, ToSequential and Compact.
            [Chain(nameof(flatten), nameof(hidden), nameof(relu), nameof(output), InputShape = new[] { 1, 8, 8 })]
            [PruneSchedule(ScheduleKind.Iterative, Rate = 0.2, Rounds = 2)]
            public sealed partial class ChainedMlp : nn.Module<Tensor, Tensor>
            {
                private readonly Flatten flatten = nn.Flatten();
                [Prunable(Structure = Structure.Neurons)] private readonly Linear hidden = nn.Linear(64, 32);
                private readonly ReLU relu = nn.ReLU();
                private readonly Linear output = nn.Linear(32, 10);

                public ChainedMlp() : base(nameof(ChainedMlp)) => RegisterComponents();
            }
            """,
        ],
        ["NestedInNamespace"] =
        [
            Usings + """
            namespace Demo.Deep.Space
            {
                public static partial class Outer
                {
                    internal partial class Inner<TTag>
                    {
                        // Only [Prunable] members: masks and the ticket, no schedules, and no CreateRun (it needs an argument).
                        public sealed partial class Tiny : nn.Module<Tensor, Tensor>
                        {
                            [Prunable] public Linear Layer { get; }

                            public Tiny(int width) : base(nameof(Tiny))
                            {
                                Layer = nn.Linear(width, width);
                                RegisterComponents();
                            }

                            public override Tensor forward(Tensor input) => Layer.forward(input);
                        }
                    }
                }
            }
            """,
        ],
        ["EverySchedule"] =
        [
            Usings + """
            [PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, TargetRemaining = 0.3, Rewind = RewindKind.ToEpoch, RewindEpoch = 1)]
            [PruneSchedule(ScheduleKind.EveryEpoch, Name = "Hypothesis", Rate = 0.2, TargetRemaining = 0.1, StartEpoch = 1, EndEpoch = 20, Criterion = CriterionKind.LeastChange)]
            [PruneSchedule(ScheduleKind.Gradual, TargetRemaining = 0.1, StartEpoch = 1, EndEpoch = 8, InitialSparsity = 0.05, Rewind = RewindKind.LearningRate)]
            [PruneSchedule(ScheduleKind.OneShot, TargetRemaining = 0.2, StartEpoch = 3, Criterion = CriterionKind.Random)]
            [PruneSchedule(ScheduleKind.OneShot, Name = "OneShotAfterTraining", TargetRemaining = 0.2, Rewind = RewindKind.ToInit)]
            public partial class GlobalModel : nn.Module<Tensor, Tensor>
            {
                [Prunable] private Linear _hidden = null!;

                public GlobalModel() : base("GlobalModel")
                {
                    _hidden = nn.Linear(4, 4);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor input) => _hidden.forward(input);
            }
            """,
        ],
        ["PruneAtInit"] =
        [
            Usings + """
            namespace Demo.Models
            {
                // Pruning at initialisation (SNIP, SynFlow), movement inside one run, and SNIP as a layer's own criterion.
                [PruneSchedule(ScheduleKind.AtInit, Name = "Snip", TargetRemaining = 0.07, Criterion = CriterionKind.Snip, ScoringBatchSize = 256, Scope = PruningScope.Global)]
                [PruneSchedule(ScheduleKind.AtInit, Name = "SynFlow", TargetRemaining = 0.07, Criterion = CriterionKind.SynFlow, Scope = PruningScope.Global)]
                [PruneSchedule(ScheduleKind.EveryEpoch, Name = "Movement", Rate = 0.2, TargetRemaining = 0.07, EndEpoch = 12, Criterion = CriterionKind.Movement)]
                public sealed partial class AtInitMlp : nn.Module<Tensor, Tensor>
                {
                    [Prunable] private readonly Linear hidden;
                    [Prunable(0.1, Criterion = CriterionKind.Snip)] private readonly Linear output;

                    public AtInitMlp() : base(nameof(AtInitMlp))
                    {
                        hidden = nn.Linear(784, 100);
                        output = nn.Linear(100, 10);
                        RegisterComponents();
                    }

                    public override Tensor forward(Tensor input) => output.forward(nn.functional.relu(hidden.forward(input)));
                }
            }
            """,
            Usings + """
            namespace Demo.Experiments;

            [Experiment(typeof(Demo.Models.AtInitMlp), Epochs = 12, Schedules = new[] { "Snip", "SynFlow", "Movement" })]
            public static partial class AtInitOnDigits;
            """,
        ],
        ["Experiment"] =
        [
            Usings + """
            namespace Demo.Models
            {
                [PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rounds = 3)]
                [PruneSchedule(ScheduleKind.EveryEpoch, Name = "EveryEpoch", TargetRemaining = 0.5)]
                public sealed partial class Mlp : nn.Module<Tensor, Tensor>
                {
                    [Prunable] private readonly Linear fc;

                    public Mlp() : base(nameof(Mlp))
                    {
                        fc = nn.Linear(784, 10);
                        RegisterComponents();
                    }

                    public override Tensor forward(Tensor input) => fc.forward(input.flatten(1));
                }
            }
            """,
            Usings + """
            namespace Demo.Experiments;

            [Experiment(typeof(Demo.Models.Mlp), DataSet = "fashion-mnist", Optimizer = OptimizerKind.Sgd, LearningRate = 0.1, BatchSize = 128,
                Epochs = 4, Seeds = new[] { 1, 2, 3 }, Validation = 5000, Schedules = new[] { "EveryEpoch" }, Device = "cuda:1", EquivalenceMargin = 0.25)]
            public static partial class MlpOnFashion;
            """,
        ],
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_code_matches_its_golden_file_and_compiles_cleanly(string caseName)
    {
        var outcome = Run(Sources[caseName]);

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilerDiagnostics);
        Assert.NotEmpty(outcome.Sources);
        GoldenFiles.Check(caseName, outcome.Sources);
    }

    [Fact]
    public void Controls_of_the_matched_schedule_run_at_the_declared_points_even_with_no_one_run_arm()
    {
        var source = GeneratorHarness.Usings + "using Lottery.Experiments;\n" + DiagnosticTests.Model(
            "[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 5)]\n[PruneSchedule(ScheduleKind.DynamicSparse, Name = \"Rigl\", TargetRemaining = 0.1, Regrowth = RegrowthKind.Gradient, UpdateEvery = 50, Epochs = 4)]",
            "[Prunable] private Linear fc = null!;")
            + "\n[Experiment(typeof(M), Epochs = 2, Schedules = new[] { \"Imp\" }, MatchTo = \"Imp\", Points = new[] { 2, 5 })]\n[Control(typeof(RandomReinitialisation), Of = \"Imp\")]\npublic static partial class E;";

        var outcome = Run(source);

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.DiagnosticsInGeneratedCode);
        var experiment = outcome.Sources.Single(s => s.Key.EndsWith("E.Experiment.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("Points = new(\"Imp\", [2, 5]),", experiment, StringComparison.Ordinal);
        var model = outcome.Sources.Single(s => s.Key.EndsWith("M.Pruning.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("Regrowth = global::Lottery.RegrowthKind.Gradient", model, StringComparison.Ordinal);
        Assert.Contains("UpdateEvery = 50", model, StringComparison.Ordinal);
        Assert.Contains("Epochs = 4", model, StringComparison.Ordinal);
        Assert.Contains("Criterion = global::Lottery.CriterionKind.Random", model, StringComparison.Ordinal);   // SET and RigL start from a random mask
    }

    [Theory]
    [InlineData("SparseTraining = SparseTraining.Auto, ", "SparseTraining = global::Lottery.Training.SparseTraining.Auto,")]
    [InlineData("SparseTraining = SparseTraining.Sparse, ", "SparseTraining = global::Lottery.Training.SparseTraining.Sparse,")]
    [InlineData("", null)]
    [InlineData("SparseTraining = SparseTraining.Dense, ", null)]
    public void An_experiments_sparse_training_reaches_its_training_settings_and_dense_leaves_them_as_before(string argument, string? expected)
    {
        var source = GeneratorHarness.Usings + DiagnosticTests.Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)]", "[Prunable] private Linear fc = null!;")
            + $"\n[Experiment(typeof(M), {argument}Epochs = 2)]\npublic static partial class E;";

        var outcome = Run(source);

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.DiagnosticsInGeneratedCode);
        var experiment = outcome.Sources.Single(s => s.Key.EndsWith("E.Experiment.g.cs", StringComparison.Ordinal)).Value;
        if (expected is null)
        {
            Assert.DoesNotContain("SparseTraining", experiment, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(expected, experiment, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_generated_file_starts_with_the_auto_generated_header_and_nullable_enable()
    {
        foreach (var sources in Sources.Values)
        {
            foreach (var (hintName, text) in Run(sources).Sources)
            {
                var lines = text.TrimStart('\uFEFF').Split('\n');
                Assert.Equal("// <auto-generated/>", lines[0].TrimEnd());
                Assert.Contains("#nullable enable", lines.Take(4).Select(l => l.TrimEnd()));
                Assert.EndsWith(".g.cs", hintName, StringComparison.Ordinal);
            }
        }
    }
}
