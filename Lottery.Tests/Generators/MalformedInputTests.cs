using System.Text;
using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Generators;

/// <summary>
/// Hundreds of mutated declarations (missing arguments, wrong types, nonsense values, generic and nested types,
/// partial parts over several files, broken syntax): the generator must never throw (which Roslyn would turn
/// into warning CS8785 and no output), and whatever it emits must compile.
/// </summary>
public class MalformedInputTests
{
    private static readonly string[] Declarations =
    [
        "public partial class", "public class", "partial class", "public static partial class", "public partial struct",
        "public partial record", "public partial interface", "public sealed partial class", "public abstract partial class",
    ];

    private static readonly string[] TypeParameters = ["", "", "", "<T>", "<T, U> where T : class"];

    private static readonly string[] Bases = [" : nn.Module<Tensor, Tensor>", " : nn.Module<Tensor, Tensor>", " : nn.Module", "", " : System.Exception", " : IDisposable"];

    private static readonly string[] Kinds =
    [
        "ScheduleKind.Iterative", "ScheduleKind.EveryEpoch", "ScheduleKind.Gradual", "ScheduleKind.OneShot", "(ScheduleKind)7", "(ScheduleKind)(-1)",
        "", "null", "\"Iterative\"", "1.5", "ScheduleKind.Nope", "default",
    ];

    private static readonly string[] ScheduleArguments =
    [
        "Rate = 0.2", "Rate = -1", "Rate = double.NaN", "Rate = double.PositiveInfinity", "Rate = \"a\"", "Rate = 1", "Rate = 0.999999",
        "TargetRemaining = 0.1", "TargetRemaining = 2", "TargetRemaining = 0", "TargetRemaining = 1", "TargetRemaining = double.NaN",
        "StartEpoch = 0", "StartEpoch = 3", "StartEpoch = -2", "EndEpoch = 1", "EndEpoch = int.MaxValue", "EndEpoch = 10",
        "Rounds = -5", "Rounds = 12", "Rounds = int.MaxValue", "Rounds = 0", "Name = null", "Name = \"\"", "Name = \"A\"", "Name = \"class\"",
        "Name = \"All\"", "Name = \"B\"", "Name = \"with space\"", "Name = \"\\u00e9t\\u00e9\"", "Scope = (PruningScope)5", "Scope = PruningScope.Global",
        "Criterion = CriterionKind.Random", "Criterion = (CriterionKind)12", "Rewind = RewindKind.ToEpoch", "Rewind = (RewindKind)9", "RewindEpoch = 3",
        "RewindEpoch = -1", "InitialSparsity = 0.5", "InitialSparsity = -0.5", "Bogus = 1", "Rate = ", "Rate = 0.2 +", "Kind = ScheduleKind.Gradual",
    ];

    private static readonly string[] LayerTypes = ["Linear", "Linear", "Conv2d", "Conv1d", "Conv3d", "Linear?", "int", "string", "List<Linear>", "Dropout", "nn.Module", "Tensor", "Undefined"];

    private static readonly string[] LayerArguments =
    [
        "", "", "0.1", "2", "0", "Rate = 0.5", "Rate = double.NaN", "Criterion = (CriterionKind)-1", "Criterion = CriterionKind.LeastChange",
        "PruneBias = true", "\"x\"", "0.1, 0.2", "Rate = 0.1, PruneBias = false", "null",
    ];

    private static readonly string[] Accessors = [" = null!;", ";", " { get; }", " { get; } = null!;", " { set { } }", " => null!;", " { get => null!; }"];

    private static readonly string[] MemberModifiers = ["private", "private readonly", "public", "private static", "internal", "protected"];

    private static readonly string[] ExperimentArguments =
    [
        "DataSet = \"mnist-digits\"", "DataSet = \"fashion-mnist\"", "DataSet = null", "DataSet = \"imagenet\"", "Epochs = 0", "Epochs = 3", "Epochs = -1",
        "BatchSize = 0", "LearningRate = -1", "LearningRate = double.NaN", "Seeds = new int[0]", "Seeds = null", "Seeds = new[] { 1, 2, 2 }",
        "Seeds = new[] { 4 }", "Schedules = new[] { \"A\" }", "Schedules = new string[0]", "Schedules = new[] { (string)null! }", "Schedules = null",
        "IncludeDense = false", "Validation = -3", "Optimizer = (OptimizerKind)4", "Optimizer = OptimizerKind.Sgd",
        "SparseTraining = SparseTraining.Auto", "SparseTraining = (SparseTraining)5",
    ];

    [Fact]
    public void Hundreds_of_mutated_declarations_never_crash_the_generator_and_what_it_emits_compiles()
    {
        var random = new Random(20261124);
        var declarations = 0;
        var generatedFiles = 0;
        var diagnostics = new HashSet<string>();
        for (var batch = 0; batch < 24; batch++)
        {
            var files = new List<StringBuilder> { new(Usings), new(Usings), new(Usings) };
            for (var i = 0; i < 15; i++, declarations++)
            {
                WriteDeclaration(random, files, $"M{batch}x{i}");
            }

            var outcome = Run(files.Select(f => f.ToString()).ToArray());

            Assert.Null(outcome.Exception);
            Assert.DoesNotContain(outcome.GeneratorDiagnostics, d => d.Id is "CS8784" or "CS8785");
            Assert.DoesNotContain(outcome.CompilerDiagnostics, d => d.Id is "CS8784" or "CS8785");
            var broken = outcome.DiagnosticsInGeneratedCode.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
            Assert.True(broken.Count == 0, $"Batch {batch}: generated code does not compile:\n{string.Join("\n", broken.Take(5))}\n\nSources:\n{string.Join("\n----\n", files)}");
            generatedFiles += outcome.Sources.Count;
            diagnostics.UnionWith(outcome.GeneratorDiagnostics.Select(d => d.Id));
        }

        // The mutations must reach both sides: code generated for the valid ones, diagnostics for the others.
        Assert.Equal(360, declarations);
        Assert.True(generatedFiles >= 40, $"only {generatedFiles} files generated");
        Console.WriteLine($"{declarations} declarations: {generatedFiles} files generated; diagnostics {string.Join(", ", diagnostics.Order())}");
        Assert.True(diagnostics.Count >= 15, $"only these diagnostics came up: {string.Join(", ", diagnostics.Order())}");
    }

    private static void WriteDeclaration(Random random, List<StringBuilder> files, string name)
    {
        T Pick<T>(T[] items) => items[random.Next(items.Length)];

        // Most picks come from the first (valid) entries, so that whole declarations are valid often enough.
        T Mostly<T>(T[] items, int valid) => random.NextDouble() < 0.8 ? items[random.Next(valid)] : Pick(items);
        var attributes = new StringBuilder();
        for (var s = random.Next(4) - 1; s > 0; s--)
        {
            var arguments = new List<string> { Mostly(Kinds, 4) };
            for (var a = random.Next(5); a > 0; a--)
            {
                arguments.Add(random.NextDouble() < 0.6 ? Pick(["TargetRemaining = 0.1", "Rounds = 3", "Rate = 0.3"]) : Pick(ScheduleArguments));
            }

            attributes.Append($"[PruneSchedule({string.Join(", ", arguments.Where(x => x.Length > 0))})]\n");
        }

        var declaration = Mostly(Declarations, 1);
        var typeParameters = Pick(TypeParameters);
        var header = $"{declaration} {name}{(typeParameters.StartsWith('<') ? typeParameters.Split(" where")[0] : string.Empty)}{Mostly(Bases, 2)}{(typeParameters.Contains("where", StringComparison.Ordinal) ? " where T : class" : string.Empty)}";
        var members = new StringBuilder();
        for (var m = random.Next(4); m > 0; m--)
        {
            var argument = Mostly(LayerArguments, 3);
            members.Append($"    [Prunable{(argument.Length > 0 ? $"({argument})" : string.Empty)}] {Mostly(MemberModifiers, 2)} {Mostly(LayerTypes, 3)} layer{m}{Mostly(Accessors, 1)}\n");
        }

        var constructor = random.Next(3) switch
        {
            0 => $"    public {name}() : base(\"{name}\") {{ }}\n",
            1 => $"    public {name}(int width) : base(\"{name}\") {{ }}\n",
            _ => string.Empty,
        };

        var body = $"{header}\n{{\n{members}{constructor}}}\n";
        var wrapped = random.Next(6) switch
        {
            0 => $"public partial class Outer{name} {{\n{attributes}{body}}}\n",
            1 => $"public class Plain{name}<TOuter> {{\n{attributes}{body}}}\n",
            2 => $"namespace Space{name} {{\n{attributes}{body}}}\n",
            _ => attributes + body,
        };
        files[random.Next(files.Count)].Append(wrapped);

        // A second partial part in another file, carrying more declarations.
        if (random.Next(3) == 0 && wrapped == attributes + body)
        {
            var extra = random.Next(2) == 0 ? $"[PruneSchedule({Pick(Kinds)}, {Pick(ScheduleArguments)})]\n" : string.Empty;
            files[random.Next(files.Count)].Append($"{extra}partial class {name}{(typeParameters.StartsWith('<') ? typeParameters.Split(" where")[0] : string.Empty)}\n{{\n    [Prunable] private Linear extra{name} = null!;\n}}\n");
        }

        if (random.Next(3) == 0)
        {
            var target = wrapped.StartsWith("namespace", StringComparison.Ordinal) ? $"Space{name}.{name}" : wrapped.StartsWith("public partial class Outer", StringComparison.Ordinal) ? $"Outer{name}.{name}" : name;
            var generic = typeParameters.StartsWith('<') ? (typeParameters.Contains(',', StringComparison.Ordinal) ? "<,>" : "<string>") : string.Empty;
            var arguments = Enumerable.Range(0, random.Next(4)).Select(_ => Mostly(ExperimentArguments, 2));
            files[random.Next(files.Count)].Append($"[Experiment(typeof({target}{generic}){string.Concat(arguments.Select(a => ", " + a))})]\npublic static partial class Experiment{name};\n");
        }
    }
}
