using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Generators;

/// <summary>
/// The generator writes every model's forward again over traced values (for graph export). What it can follow compiles
/// into a trace; anything else becomes a trace that throws, naming the file, the line and what it met; either way the
/// user's project compiles without a warning.
/// </summary>
public class TraceGenerationTests
{
    private const string Model = """
        namespace Demo;

        [PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 2)]
        public sealed partial class Net : nn.Module<Tensor, Tensor>
        {
            [Prunable] private readonly Linear first = nn.Linear(4, 4);
            [Prunable] private readonly Linear second = nn.Linear(8, 2);
            private readonly ModuleList<Linear> extra = nn.ModuleList(nn.Linear(4, 4));
            private readonly Parameter offset = nn.Parameter(zeros(4));
            private bool Twice { get; } = true;

            public Net() : base(nameof(Net)) => RegisterComponents();

            private static Tensor Helper(Tensor x) => x;

            public override Tensor forward(Tensor input)
            {
        BODY
            }
        }
        """;

    /// <summary>Bodies, what the trace says of them, and the line of the body it names (0 for the first).</summary>
    public static TheoryData<string, string, int> Unfollowed => new()
    {
        { "return second.call(input.abs());", "graph export does not write the tensor method 'abs'", 0 },
        { "return second.call(Helper(input));", "'Helper(input)' calls the model's own method 'Helper' with tensors", 0 },
        { "var f = (Tensor t) => first.call(t);\n        return second.call(f(input));", "a lambda or local function over tensors", 0 },
        { "return second.call(input[0]);", "graph export does not write indexing into a tensor", 0 },
        { "return second.call(-input);", "'-input' is a tensor expression of a kind graph export does not follow", 0 },
        { "return second.call(exp(input));", "graph export does not write the function 'torch.exp'", 0 },
        { "return second.call(input > 0);", "graph export does not write the operator '>' between tensors", 0 },
        { "var x = first.call(input);\n        x += input;\n        return second.call(x);", "graph export does not write the compound assignment '+='", 1 },
        { "return this.call(input);", "'this.call(input)' calls the model's own forward", 0 },
    };

    [Theory]
    [MemberData(nameof(Unfollowed))]
    public void A_forward_using_what_graph_export_does_not_follow_traces_to_a_throw_naming_the_line_and_compiles(string body, string why, int line)
    {
        var outcome = Run(Usings + Model.Replace("BODY", body, StringComparison.Ordinal));

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.CompilerDiagnostics);
        var trace = outcome.Sources["Demo.Net.Trace.g.cs"];
        var firstLine = Usings.Split('\n').Length - 1 + Model.Split('\n').ToList().FindIndex(l => l.Contains("BODY", StringComparison.Ordinal)) + 1;
        Assert.Contains($"throw new global::Lottery.Export.Graphs.GraphCaptureException(\"Net.forward (Source0.cs, line {firstLine + line}", trace, StringComparison.Ordinal);
        Assert.Contains(why, trace, StringComparison.Ordinal);
    }

    /// <summary>Forwards a new user wrote (the trial of graph export): each must leave the project compiling, traced or not.</summary>
    public static TheoryData<string> WrittenByUsers => new()
    {
        "var pair = (a: first.call(input), b: first.call(input));\n        return second.call(cat([pair.a, pair.b], 1));",
        "var pair = (first.call(input), first.call(input));\n        return second.call(cat([pair.Item1, pair.Item2], 1));",
        "using var h = first.call(input);\n        return second.call(cat([h, h], 1));",
        "TorchSharp.Scalar half = 0.5;\n        return second.call(cat([input * half, input], 1));",
        "return second.call(cat([1 - input, input / (input.sigmoid() + 1)], 1));",
        "return second.call(cat([input - input.mean(), nn.functional.gelu(input, TorchSharp.Modules.GELU.Approximate.tanh)], 1));",
        "return second.call(cat([nn.functional.tanh(input), input.add(1.0).mul(0.5)], 1));",
        "var x = input;\n        if (x.Dimensions > 2) x = x.flatten(1);\n        return second.call(cat([x, x], 1));",
        "Tensor? extra = null;\n        extra = input;\n        return second.call(cat([input, extra], 1));",
        "return Twice switch { true => second.call(cat([input, input], 1)), false => second.call(cat([first.call(input), input], 1)) };",
        "System.ArgumentNullException.ThrowIfNull(input);\n        return second.call(cat([input, input], 1));",
    };

    [Theory]
    [InlineData("System.ArgumentNullException.ThrowIfNull(input);\n        return second.call(cat([input, input], 1));")]
    [InlineData("return second.call(cat([input, nn.functional.gelu(input, TorchSharp.Modules.GELU.Approximate.tanh)], 1));")]
    [InlineData("return second.call(cat([input, input.add(first.call(input), 0.5)], 1));")]
    [InlineData("return second.call(cat([input, add(input, input, 2)], 1));")]
    public void A_null_guard_gelus_approximation_and_adds_alpha_are_traced(string body)
    {
        var outcome = Run(Usings + Model.Replace("BODY", body, StringComparison.Ordinal));

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.CompilerDiagnostics);
        Assert.DoesNotContain("GraphCaptureException", outcome.Sources["Demo.Net.Trace.g.cs"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WrittenByUsers))]
    public void Whatever_a_forward_holds_the_project_compiles_without_a_warning(string body)
    {
        var outcome = Run(Usings + Model.Replace("BODY", body, StringComparison.Ordinal));

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilerDiagnostics);
        Assert.Contains("Demo.Net.Trace.g.cs", outcome.Sources.Keys);
    }

    [Fact]
    public void A_warning_of_the_users_own_usings_does_not_stop_the_trace()
    {
        // A lower-case alias raises CS8981 in the user's file; the traced copy repeats the using but is still traced.
        const string Source = """
            using Lottery;
            using Lottery.Schedules;
            using TorchSharp.Modules;
            using nn = TorchSharp.torch.nn;
            using Tensor = TorchSharp.torch.Tensor;

            namespace Demo;

            [PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
            public sealed partial class Net : nn.Module<Tensor, Tensor>
            {
                [Prunable] private readonly Linear fc = nn.Linear(4, 2);

                public Net() : base(nameof(Net)) => RegisterComponents();

                public override Tensor forward(Tensor input) => nn.functional.relu(fc.call(input)) * (TorchSharp.Scalar)0.5;
            }
            """;
        var outcome = Run(Source);

        Assert.Null(outcome.Exception);
        Assert.DoesNotContain(outcome.CompilerDiagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Assert.DoesNotContain("GraphCaptureException", outcome.Sources["Demo.Net.Trace.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void Usings_inside_a_namespace_stay_inside_it_and_a_block_without_prunable_layers_is_traced_too()
    {
        const string Source = """
            using TorchSharp;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            namespace Demo.Relative
            {
                using TorchSharp;
                using Lottery;
                using Lottery.Schedules;
                using Layers;

                public sealed partial class Block : nn.Module<Tensor, Tensor>
                {
                    private readonly Sequential body = nn.Sequential(nn.Linear(4, 4), nn.ReLU());

                    public Block() : base(nameof(Block)) => RegisterComponents();

                    public override Tensor forward(Tensor input) => body.call(input) * Sizes.Half;
                }

                [PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
                public sealed partial class Net : nn.Module<Tensor, Tensor>
                {
                    [Prunable] private readonly Linear fc = nn.Linear(4, 2);
                    private readonly Block block = new();

                    public Net() : base(nameof(Net)) => RegisterComponents();

                    public override Tensor forward(Tensor input) => fc.call(block.call(input)) * Sizes.Half;
                }
            }

            namespace Demo.Relative.Layers
            {
                public static class Sizes
                {
                    public const double Half = 0.5;
                }
            }
            """;
        var outcome = Run(Source);

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.CompilerDiagnostics);
        Assert.DoesNotContain("GraphCaptureException", outcome.Sources["Demo.Relative.Net.Trace.g.cs"], StringComparison.Ordinal);
        var block = outcome.Sources["Demo.Relative.Block.Trace.g.cs"];
        Assert.DoesNotContain("GraphCaptureException", block, StringComparison.Ordinal);
        Assert.Contains("global::Lottery.Export.Graphs.GraphCapture.Call(body, input)", block, StringComparison.Ordinal);
        Assert.DoesNotContain("Demo.Relative.Block.Pruning.g.cs", outcome.Sources.Keys);
    }

    [Fact]
    public void A_forward_of_modules_functions_loops_conditions_and_a_held_tensor_traces_and_compiles()
    {
        const string Body = """
                    using var scope = NewDisposeScope();
                    Tensor x = input.dim() == 1 ? input.view(1, -1) : input;
                    var y = nn.functional.relu(first.call(x)) + offset;
                    foreach (var layer in extra)
                    {
                        y = layer.call(y) * 0.5;
                    }

                    y = Twice ? cat([y, x], 1) : cat(new[] { y, y }, 1);
                    return second.call(y).MoveToOuterDisposeScope();
            """;
        var outcome = Run(Usings + Model.Replace("BODY", Body, StringComparison.Ordinal));

        Assert.Null(outcome.Exception);
        Assert.Empty(outcome.CompilerDiagnostics);
        var trace = outcome.Sources["Demo.Net.Trace.g.cs"];
        Assert.DoesNotContain("GraphCaptureException", trace, StringComparison.Ordinal);
        Assert.Contains("global::Lottery.Export.Graphs.Traced x = ", trace, StringComparison.Ordinal);
        Assert.Contains("global::Lottery.Export.Graphs.GraphCapture.Call(layer, y)", trace, StringComparison.Ordinal);
        Assert.Contains("global::Lottery.Export.Graphs.GraphCapture.Constant(offset)", trace, StringComparison.Ordinal);
        Assert.Contains("global::Lottery.Export.Graphs.TracedOps.cat([y, x], 1)", trace, StringComparison.Ordinal);
        Assert.Contains("global::Lottery.Export.Graphs.TracedOps.relu(", trace, StringComparison.Ordinal);
    }
}
