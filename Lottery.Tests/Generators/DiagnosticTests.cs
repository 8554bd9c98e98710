using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Generators;

/// <summary>Each diagnostic: exact id, severity, and the span it underlines (marked [| |] in the source).</summary>
public class DiagnosticTests
{
    private const string Body = """
            public override Tensor forward(Tensor input) => input;
        """;

    public static TheoryData<string, DiagnosticSeverity, string> Cases => new()
    {
        { "LTH0001", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;", declaration: "public class [|M|]") },
        { "LTH0001", DiagnosticSeverity.Error, $$"""
            public class [|Outer|]
            {
            {{Model("", "[Prunable] private Linear fc = null!;")}}
            }
            """ },
        { "LTH0002", DiagnosticSeverity.Error, """
            public partial class [|NotAModule|]
            {
                [Prunable] private Linear fc = null!;
            }
            """ },
        { "LTH0003", DiagnosticSeverity.Error, Model("", "[Prunable] private int [|count|];") },
        { "LTH0003", DiagnosticSeverity.Error, Model("", "[Prunable] private ReLU [|activation|] = null!;") },
        { "LTH0004", DiagnosticSeverity.Error, Model("", "[Prunable] private static Linear [|shared|] = null!;") },
        { "LTH0005", DiagnosticSeverity.Error, Model("", "[Prunable([|1.5|])] private Linear fc = null!;") },
        { "LTH0005", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 2, [|Rate = 0|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0006", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, [|TargetRemaining = 1.5|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0006", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Gradual, TargetRemaining = 0.1, StartEpoch = 1, EndEpoch = 4, [|InitialSparsity = 0.95|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0007", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.5, [|StartEpoch = 0|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0007", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.5, StartEpoch = 5, [|EndEpoch = 3|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0007", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 2, Rewind = RewindKind.ToEpoch, [|RewindEpoch = -1|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0006", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.5, [|EarlyBirdDistance = 1.5|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0007", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.5, EarlyBirdDistance = 0.1, [|EarlyBirdEpochs = 0|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 3, [|EarlyBirdDistance = 0.1|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.5, [|EarlyBirdDistance = 0.1|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.OneShot, TargetRemaining = 0.5, [|EarlyBirdDistance = 0.1|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.5, [|EarlyBirdEpochs = 3|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0008", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, [|Rounds = 0|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0009", DiagnosticSeverity.Warning, Model("[PruneSchedule(ScheduleKind.EveryEpoch, Rate = 0.2, [|TargetRemaining = 0.1|], EndEpoch = 5)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0009", DiagnosticSeverity.Warning, Model("[PruneSchedule(ScheduleKind.Iterative, Rate = 0.2, Rounds = 3, [|TargetRemaining = 0.1|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0009", DiagnosticSeverity.Warning, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.1)]", "[Prunable] private Linear fc = null!;")
            + "\n[Experiment(typeof(M), [|Epochs = 5|])] public static partial class E;" },
        { "LTH0010", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.Iterative, Rounds = 1)]", "private Linear fc = null!;") },
        { "LTH0011", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"A\", Rounds = 1)][PruneSchedule(ScheduleKind.OneShot, [|Name = \"A\"|], TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0011", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;")
            + "\n[Experiment(typeof(M), [|Seeds = new[] { 1, 1 }|])] public static partial class E;" },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.1, [|Rounds = 3|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 3, [|RewindEpoch = 2|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.EveryEpoch)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.Iterative, Rate = 0.2)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.OneShot, StartEpoch = 2)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.Gradual, TargetRemaining = 0.1, StartEpoch = 1)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.Gradual, TargetRemaining = 0.1, EndEpoch = 4)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.Gradual, StartEpoch = 1, EndEpoch = 4)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 2, [|Rewind = RewindKind.ToEpoch|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.5, [|Rewind = RewindKind.ToEpoch|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0014", DiagnosticSeverity.Error, Model("", "[Prunable] private Linear fc = null!;") + "\n[Experiment([|typeof(M)|])] public static partial class E;" },
        { "LTH0015", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|DataSet = \"cifar-10\"|])] public static partial class E;" },
        { "LTH0016", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|Schedules = new[] { \"Nope\" }|])] public static partial class E;" },
        { "LTH0017", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;", constructor: "public M(int width) : base(\"M\") { }") + "\n[Experiment([|typeof(M)|])] public static partial class E;" },
        { "LTH0018", DiagnosticSeverity.Error, Model("", "[Prunable] private Linear fc = null!; public int FcMask;", declaration: "public partial class [|M|]") },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|Epochs = 0|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5, [|MatchTo = \"Ee\"|], Points = new[] { 1 })] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5, [|MatchTo = \"Imp\"|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5, MatchTo = \"Imp\", [|Points = new[] { 3 }|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|Epochs = 1|], MatchTo = \"Imp\", Points = new[] { 1, 2 })] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5, [|Points = new[] { 1 }|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5)][Control([|typeof(string)|], Of = \"Imp\")] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5)][Control(typeof(Lottery.Experiments.RandomReinitialisation), [|Of = \"Nope\"|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5, [|Data = typeof(string)|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5, [|Loss = typeof(string)|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5)][Control(typeof(Lottery.Experiments.RandomReinitialisation), Of = \"Imp\", [|Epoch = 2|])] public static partial class E;" },
        { "LTH0019", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Name = \"Imp\", Rounds = 2)][PruneSchedule(ScheduleKind.EveryEpoch, Name = \"Ee\", TargetRemaining = 0.5)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 5)][Control(typeof(Lottery.Experiments.RewindOnce), Of = \"Ee\", [|Epoch = 6|])] public static partial class E;" },
        { "LTH0020", DiagnosticSeverity.Error, Model("", "[Prunable] public Linear [|Layer|] { set { } }") },
        { "LTH0021", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1, [|Name = \"two words\"|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0021", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1, [|Name = \"Default\"|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0022", DiagnosticSeverity.Error, Model("", "[Prunable([|Criterion = (CriterionKind)9|])] private Linear fc = null!;") },
        { "LTH0023", DiagnosticSeverity.Error, Model("", "[Prunable([|PruneBias = true|])] private Linear fc = nn.Linear(4, 2, hasBias: false);") },
        { "LTH0023", DiagnosticSeverity.Error, Model("", "[Prunable(0.1, [|PruneBias = true|])] private Linear fc;", constructor: "public M() : base(\"M\") { fc = nn.Linear(4, 2, hasBias: false); RegisterComponents(); }") },
        { "LTH0023", DiagnosticSeverity.Error, Model("", "[Prunable([|PruneBias = true|])] private Conv2d conv;", constructor: "public M() : base(\"M\") { this.conv = nn.Conv2d(1, 4, 3, bias: false); RegisterComponents(); }") },
        { "LTH0024", DiagnosticSeverity.Error, Model("", "[Prunable([|Structure = Structure.Channels|])] private Linear fc = null!;") },
        { "LTH0024", DiagnosticSeverity.Error, Model("", "[Prunable([|Structure = Structure.Neurons|])] private Conv2d conv = null!;") },
        { "LTH0022", DiagnosticSeverity.Error, Model("", "[Prunable([|Structure = (Structure)7|])] private Linear fc = null!;") },
        { "LTH0022", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|SparseTraining = (SparseTraining)7|])] public static partial class E;" },
        { "LTH0025", DiagnosticSeverity.Error, Model("[Chain(\"fc\", [|\"missing\"|], InputShape = new[] { 4 })]", "[Prunable] private Linear fc = null!;") },
        { "LTH0025", DiagnosticSeverity.Error, Model("[Chain(\"fc\", [|\"fc\"|], InputShape = new[] { 4 })]", "[Prunable] private Linear fc = null!;") },
        { "LTH0025", DiagnosticSeverity.Error, Model("[Chain(\"fc\", [|\"count\"|], InputShape = new[] { 4 })]", "[Prunable] private Linear fc = null!; private int count;") },
        { "LTH0025", DiagnosticSeverity.Error, Model("[Chain(\"conv\", [|\"fc\"|], InputShape = new[] { 1, 4, 4 })]", "[Prunable] private Conv2d conv = null!; [Prunable] private Linear fc = null!;") },
        { "LTH0025", DiagnosticSeverity.Error, Model("[Chain(\"fc\", [|\"conv\"|], InputShape = new[] { 4 })]", "[Prunable] private Conv2d conv = null!; [Prunable] private Linear fc = null!;") },
        { "LTH0025", DiagnosticSeverity.Error, Model("[[|Chain|](\"fc\", InputShape = new[] { 4 })]", "[Prunable] private Linear fc = null!; [Prunable] private Linear other = null!;") },
        { "LTH0025", DiagnosticSeverity.Error, Model("[[|Chain|](\"fc\")]", "[Prunable] private Linear fc = null!;") },
        { "LTH0025", DiagnosticSeverity.Error, Model("[Chain(\"fc\", [|InputShape = new[] { 0 }|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0027", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|Device = \"tpu\"|])] public static partial class E;" },
        { "LTH0027", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 2, [|Device = \"cuda:-1\"|])] public static partial class E;" },
        { "LTH0034", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1, [|CriterionName = \"\"|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0034", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1, Criterion = CriterionKind.Random, [|CriterionName = \"Mine\"|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0033", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|Numerics = \"avx512\"|])] public static partial class E;" },
        { "LTH0033", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 2, [|Numerics = \"\"|])] public static partial class E;" },
        { "LTH0028", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|EquivalenceMargin = 0|])] public static partial class E;" },
        { "LTH0028", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), Epochs = 2, [|EquivalenceMargin = -0.5|])] public static partial class E;" },
        { "LTH0028", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|EquivalenceMargin = double.NaN|])] public static partial class E;" },
        { "LTH0028", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;") + "\n[Experiment(typeof(M), [|EquivalenceMargin = 100|])] public static partial class E;" },
        { "LTH0029", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, [|Criterion = CriterionKind.LeastChange|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0029", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, [|Criterion = CriterionKind.Movement|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0029", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, Criterion = CriterionKind.Snip)]", "[Prunable([|Criterion = CriterionKind.LeastChange|])] private Linear fc = null!;") },
        { "LTH0030", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, Criterion = CriterionKind.Snip, [|ScoringBatchSize = 0|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, [|ScoringBatchSize = 64|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, Criterion = CriterionKind.SynFlow, [|ScoringBatchSize = 64|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, [|StartEpoch = 2|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, [|Rewind = RewindKind.ToInit|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.AtInit, Criterion = CriterionKind.Snip)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0031", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.DynamicSparse, TargetRemaining = 0.1, [|UpdateEvery = 0|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0032", DiagnosticSeverity.Error, Model("[PruneSchedule([|ScheduleKind.DynamicSparse|], TargetRemaining = 0.1)]", "[Prunable(Structure = Structure.Neurons)] private Linear fc = null!; [Prunable] private Linear output = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.1, [|Regrowth = RegrowthKind.Gradient|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.DynamicSparse, TargetRemaining = 0.1, Regrowth = RegrowthKind.Random, [|Groups = true|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 3)]", "[Prunable] private Linear fc = null!; [Prunable([|PruneBias = true|])] private Parameter table = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 3)]", "[Prunable([|Heads = 4|])] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 3, [|RoundTo = 8|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 3, Groups = true, [|RoundTo = -8|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, [|UpdateEvery = 10|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.DynamicSparse, TargetRemaining = 0.1, [|Rewind = RewindKind.ToInit|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.DynamicSparse, TargetRemaining = 0.1, [|StartEpoch = 2|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0012", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.DynamicSparse, TargetRemaining = 0.1, [|EarlyBirdDistance = 0.1|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0006", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.DynamicSparse, TargetRemaining = 0.1, [|DropFraction = 1.5|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0029", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.DynamicSparse, TargetRemaining = 0.1, [|Criterion = CriterionKind.Movement|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0013", DiagnosticSeverity.Error, Model("[[|PruneSchedule|](ScheduleKind.DynamicSparse, Regrowth = RegrowthKind.Gradient)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0007", DiagnosticSeverity.Error, Model("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.1, [|Epochs = 0|])]", "[Prunable] private Linear fc = null!;") },
        { "LTH0009", DiagnosticSeverity.Warning, Model("[PruneSchedule(ScheduleKind.EveryEpoch, Rate = 0.2, [|TargetRemaining = 0.1|], Epochs = 5)]", "[Prunable] private Linear fc = null!;") },
        { "LTH0026", DiagnosticSeverity.Warning, Model("[[|Chain|](\"fc\", InputShape = new[] { 4 })]", "[Prunable(Structure = Structure.Neurons)] private Linear fc = null!;") },
        // An analyzer's, over the whole compilation: a block that nothing holds or creates.
        { "LTH0035", DiagnosticSeverity.Warning, Model("", "[Prunable] private Linear fc = null!;", declaration: "public partial class [|M|]") },
    };

    // The ids an analyzer reports (it needs the whole compilation), not the generator.
    internal static readonly string[] AnalyzerIds = ["LTH0035"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_diagnostic_has_its_id_severity_and_span(string id, DiagnosticSeverity severity, string markedSource)
    {
        var (source, span) = Unmark(Usings + markedSource);
        var outcome = Run(source);

        Assert.Null(outcome.Exception);
        var diagnostic = Assert.Single(AnalyzerIds.Contains(id)
            ? AnalyzerDiagnostics(outcome.Output)
            : outcome.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        // In the compilation's own tree (not only a path), so that #pragma warning and editor suppressions apply;
        // Lottery.Tests' TinyHypothesis relies on that to build with warnings as errors.
        Assert.Equal("Source0.cs", diagnostic.Location.SourceTree?.FilePath);
        Assert.False(string.IsNullOrWhiteSpace(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Empty(outcome.DiagnosticsInGeneratedCode);
    }

    [Fact]
    public void The_unreachable_target_warning_states_where_the_schedule_stops()
    {
        var outcome = Run(Usings + Model("[PruneSchedule(ScheduleKind.EveryEpoch, Rate = 0.2, TargetRemaining = 0.1, EndEpoch = 5)]", "[Prunable] private Linear fc = null!;"));

        var message = Assert.Single(outcome.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("Schedule 'EveryEpoch' stops at 32.8% of the weights, not at its target of 10%: 20% per epoch over 5 epochs (epochs 1 to 5)", message);
        Assert.NotEmpty(outcome.Sources);   // a warning still generates the code
    }

    [Fact]
    public void A_model_with_an_error_gets_no_generated_code_and_neither_does_an_experiment_on_it()
    {
        var outcome = Run(Usings + Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 0)]", "[Prunable] private Linear fc = null!;")
            + "\n[Experiment(typeof(M))] public static partial class E;");

        Assert.Equal("LTH0008", Assert.Single(outcome.GeneratorDiagnostics).Id);
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void A_late_rewind_without_its_epoch_is_an_error_not_a_rewind_to_initialisation()
    {
        var outcome = Run(Usings + Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 2, Rewind = RewindKind.ToEpoch)]", "[Prunable] private Linear fc = null!;"));

        var message = Assert.Single(outcome.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("Rewind = RewindKind.ToEpoch needs RewindEpoch, the epoch whose weights training restarts from", message);
        Assert.Empty(outcome.Sources);
    }

    [Theory]
    [InlineData("Criterion = CriterionKind.LeastChange", "[Prunable] private Linear fc = null!;",
        "Criterion LeastChange needs training before it can score (every |w - w0| is 0 before training), but schedule 'AtInit' prunes before any training (AtInit or DynamicSparse); use Snip, SynFlow, Magnitude or Random, or a schedule that prunes after training")]
    [InlineData("Criterion = CriterionKind.Movement", "[Prunable] private Linear fc = null!;",
        "Criterion Movement needs training before it can score (it sums -w * g over the training steps), but schedule 'AtInit' prunes before any training (AtInit or DynamicSparse); use Snip, SynFlow, Magnitude or Random, or a schedule that prunes after training")]
    [InlineData("Criterion = CriterionKind.Snip", "[Prunable(Criterion = CriterionKind.MagnitudeIncrease)] private Linear fc = null!;",
        "Layer 'fc''s criterion MagnitudeIncrease needs training before it can score (every |w| - |w0| is 0 before training), but schedule 'AtInit' prunes before any training (AtInit or DynamicSparse); use Snip, SynFlow, Magnitude or Random, or a schedule that prunes after training")]
    public void A_criterion_that_needs_training_at_initialisation_is_named_with_why(string criterion, string layer, string expected)
    {
        var outcome = Run(Usings + Model($"[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, {criterion})]", layer));

        Assert.Equal(expected, Assert.Single(outcome.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(outcome.Sources);
    }

    [Theory]
    [InlineData("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.1, EndEpoch = 20, Criterion = CriterionKind.Movement)]")]
    [InlineData("[PruneSchedule(ScheduleKind.Gradual, TargetRemaining = 0.1, StartEpoch = 1, EndEpoch = 5, Criterion = CriterionKind.Movement)]")]
    [InlineData("[PruneSchedule(ScheduleKind.Iterative, Rounds = 2, Criterion = CriterionKind.Movement)]")]
    [InlineData("[PruneSchedule(ScheduleKind.OneShot, TargetRemaining = 0.1, Criterion = CriterionKind.SynFlow)]")]
    [InlineData("[PruneSchedule(ScheduleKind.EveryEpoch, TargetRemaining = 0.1, EndEpoch = 20, Criterion = CriterionKind.Snip, ScoringBatchSize = 32)]")]
    [InlineData("[PruneSchedule(ScheduleKind.AtInit, TargetRemaining = 0.1, Criterion = CriterionKind.Random, Rewind = RewindKind.None)]")]
    public void Criteria_that_need_data_or_training_work_with_the_schedules_that_fit_them(string schedule)
    {
        var outcome = Run(Usings + Model(schedule, "[Prunable] private Linear fc = null!;"));

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilerDiagnostics);
        Assert.NotEmpty(outcome.Sources);
    }

    [Fact]
    public void A_missing_schedule_argument_is_named_in_the_message()
    {
        var outcome = Run(Usings + Model("[PruneSchedule(ScheduleKind.Gradual, TargetRemaining = 0.1, StartEpoch = 1)]", "[Prunable] private Linear fc = null!;"));

        var message = Assert.Single(outcome.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("A Gradual schedule needs EndEpoch, the epoch after which the target is reached", message);
    }

    [Theory]
    [InlineData("Device = \"gpu\"", "Device 'gpu' is not a device; give cpu, cuda or cuda:N (N the index of a GPU, from 0)")]
    [InlineData("Device = \"cuda:\"", "Device 'cuda:' is not a device; give cpu, cuda or cuda:N (N the index of a GPU, from 0)")]
    [InlineData("Device = \"cpu\"", null)]
    [InlineData("Device = \"cuda\"", null)]
    [InlineData("Device = \"cuda:3\"", null)]
    [InlineData("Device = null", null)]
    public void A_declared_device_is_checked_at_compile_time(string argument, string? expected)
    {
        var outcome = Run(Usings + Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;")
            + $"\n[Experiment(typeof(M), {argument})] public static partial class E;");

        Assert.Null(outcome.Exception);
        if (expected is null)
        {
            Assert.Empty(outcome.GeneratorDiagnostics);
            Assert.Empty(outcome.CompilerDiagnostics);
            var experiment = Assert.Single(outcome.Sources, s => s.Key.Contains("E.Experiment", StringComparison.Ordinal)).Value;
            if (argument.EndsWith("null", StringComparison.Ordinal))
            {
                Assert.DoesNotContain("Device", experiment, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains($"        {argument},\n", experiment.ReplaceLineEndings("\n"), StringComparison.Ordinal);
                Assert.Contains($"DeviceSource = \"[Experiment({argument.Replace("\"", "\\\"", StringComparison.Ordinal)})] on E\",", experiment, StringComparison.Ordinal);
            }
        }
        else
        {
            Assert.Equal(expected, Assert.Single(outcome.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.DoesNotContain(outcome.Sources.Keys, k => k.Contains("E.Experiment", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(", EquivalenceMargin = -1", "EquivalenceMargin is -1; give the largest difference in test accuracy that does not matter, in percentage points above 0 and below 100, for example 0.5")]
    [InlineData(", EquivalenceMargin = double.PositiveInfinity", "EquivalenceMargin is Infinity; give the largest difference in test accuracy that does not matter, in percentage points above 0 and below 100, for example 0.5")]
    [InlineData(", EquivalenceMargin = 1", "EquivalenceMargin = 1.0,")]
    [InlineData(", EquivalenceMargin = 0.25", "EquivalenceMargin = 0.25,")]
    [InlineData("", "EquivalenceMargin = 0.5,")]
    public void The_equivalence_margin_is_checked_at_compile_time_and_always_stated_in_the_definition(string argument, string expected)
    {
        var outcome = Run(Usings + Model("[PruneSchedule(ScheduleKind.Iterative, Rounds = 1)]", "[Prunable] private Linear fc = null!;")
            + $"\n[Experiment(typeof(M){argument})] public static partial class E;");

        Assert.Null(outcome.Exception);
        if (expected.StartsWith("EquivalenceMargin is", StringComparison.Ordinal))
        {
            Assert.Equal(expected, Assert.Single(outcome.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.DoesNotContain(outcome.Sources.Keys, k => k.Contains("E.Experiment", StringComparison.Ordinal));
        }
        else
        {
            Assert.Empty(outcome.GeneratorDiagnostics);
            Assert.Empty(outcome.CompilerDiagnostics);
            var experiment = Assert.Single(outcome.Sources, s => s.Key.Contains("E.Experiment", StringComparison.Ordinal)).Value;
            Assert.Contains($"    {expected}\n", experiment.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("[Prunable(PruneBias = true)] private Conv2d conv;", "this.conv = nn.Conv2d(1, 4, 3, bias: false);", "'conv' declares PruneBias = true, but its layer is created with bias: false")]
    [InlineData("[Prunable(PruneBias = true)] private Linear fc;", "fc = nn.Linear(4, 2, hasBias: false);", "'fc' declares PruneBias = true, but its layer is created with hasBias: false")]
    [InlineData("[Prunable(PruneBias = true)] private Linear fc;", "fc = nn.Linear(4, 2, hasBias: true);", null)]
    [InlineData("[Prunable(PruneBias = true)] private Linear fc; private readonly bool withBias = false;", "fc = nn.Linear(4, 2, hasBias: withBias);", null)]
    [InlineData("[Prunable(PruneBias = false)] private Linear fc;", "fc = nn.Linear(4, 2, hasBias: false);", null)]
    [InlineData("[Prunable(PruneBias = true)] private Linear fc; private Linear other;", "fc = nn.Linear(4, 2); other = nn.Linear(2, 2, hasBias: false);", null)]
    public void A_pruned_bias_on_a_layer_created_without_one_is_reported_only_when_the_source_says_so(string members, string creation, string? expected)
    {
        var source = Usings + Model("", members, constructor: $"public M() : base(\"M\") {{ {creation} RegisterComponents(); }}");
        Assert.Empty(Compile(source).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));   // the test's own source is valid C#

        var outcome = Run(source);

        Assert.Null(outcome.Exception);
        if (expected is null)
        {
            Assert.Empty(outcome.GeneratorDiagnostics);
        }
        else
        {
            Assert.Contains(expected, Assert.Single(outcome.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_descriptor_is_tested_and_tracked_in_the_release_files()
    {
        var ids = Lottery.Generators.Diagnostics.DiagnosticDescriptors.ById.Keys.Order().ToList();
        var tested = Cases.Select(row => (string)row[0]).Distinct().Order().ToList();
        Assert.Equal(ids, tested);

        var unshipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "Lottery.Generators", "AnalyzerReleases.Unshipped.md"));
        Assert.All(ids, id => Assert.Contains(id + " |", unshipped, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_descriptor_links_to_its_own_section_of_the_diagnostics_reference_and_its_table_lists_it()
    {
        var reference = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        var table = reference.TakeWhile(line => !line.StartsWith("## ", StringComparison.Ordinal)).ToList();   // the table at the top, before the sections
        foreach (var (id, descriptor) in Lottery.Generators.Diagnostics.DiagnosticDescriptors.ById)
        {
            // GitHub's anchor of a heading "## LTH0009" is "#lth0009".
            Assert.Equal($"docs/diagnostics.md#{id.ToLowerInvariant()}", descriptor.HelpLinkUri);
            Assert.Single(reference, line => line == $"## {id}");
            var section = reference.SkipWhile(line => line != $"## {id}").Skip(1).TakeWhile(line => !line.StartsWith("## ", StringComparison.Ordinal)).ToList();
            Assert.Contains(section, line => line.Contains(descriptor.Title.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            Assert.Contains(section, line => line.StartsWith("When: ", StringComparison.Ordinal));
            // The table's row: the id, linked to its section, then its severity.
            var row = $"| [{id}](#{id.ToLowerInvariant()}) | {(descriptor.DefaultSeverity == DiagnosticSeverity.Warning ? "warning" : "error")} |";
            Assert.Single(table, line => line.StartsWith(row, StringComparison.Ordinal));
        }
    }

    internal static string Model(string attributes, string members, string declaration = "public partial class M", string constructor = "public M() : base(\"M\") { }") => $$"""
        {{attributes}}
        {{declaration}} : nn.Module<Tensor, Tensor>
        {
            {{members}}
            {{constructor}}
        {{Body}}
        }
        """;

    private static (string Source, TextSpan Span) Unmark(string marked)
    {
        var start = marked.IndexOf("[|", StringComparison.Ordinal);
        var end = marked.IndexOf("|]", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "The test source must mark the expected span with [| |].");
        var source = marked.Remove(end, 2).Remove(start, 2);
        return (source, TextSpan.FromBounds(start, end - 2));
    }

    internal static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
}
