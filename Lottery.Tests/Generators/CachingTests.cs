using System.Collections;
using System.Reflection;
using Lottery.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Generators;

/// <summary>The pipeline's caching: unrelated edits reuse every step, and no step output keeps a Roslyn object alive.</summary>
public class CachingTests
{
    private static readonly string[] NamedSteps =
    [
        PruningGenerator.Steps.ModelsFromSchedules, PruningGenerator.Steps.ModelsFromLayers, PruningGenerator.Steps.Experiments,
        PruningGenerator.Steps.Models, PruningGenerator.Steps.ExperimentModels,
    ];

    private static readonly string ModelSource = Usings + """
        namespace Demo;

        [PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rounds = 2)]
        public partial class Scheduled : nn.Module<Tensor, Tensor>
        {
            [Prunable(0.1)] private readonly Linear fc = nn.Linear(4, 2);
            public Scheduled() : base("Scheduled") => RegisterComponents();
            public override Tensor forward(Tensor input) => fc.forward(input);
        }

        public partial class MasksOnly : nn.Module<Tensor, Tensor>
        {
            [Prunable] private readonly Linear fc = nn.Linear(4, 2);
            public MasksOnly() : base("MasksOnly") => RegisterComponents();
            public override Tensor forward(Tensor input) => fc.forward(input);
        }

        [Experiment(typeof(Scheduled), Epochs = 2)]
        public static partial class ScheduledExperiment;
        """;

    [Fact]
    public void After_an_unrelated_edit_every_named_step_is_cached_or_unchanged()
    {
        var compilation = Compile(ModelSource, "namespace Demo; internal static class Unrelated { public const int Value = 1; }");
        var driver = Driver(trackSteps: true).RunGenerators(compilation);

        var edited = Edit(compilation, 1, "namespace Demo; internal static class Unrelated { public const int Value = 2; }");
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in NamedSteps)
        {
            Assert.True(result.TrackedSteps.TryGetValue(step, out var runs), $"step {step} did not run");
            var reasons = runs.SelectMany(r => r.Outputs).Select(o => o.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {reason}"));
        }
    }

    [Fact]
    public void An_edit_to_a_declaration_reaches_the_generated_code()
    {
        var compilation = Compile(ModelSource, "namespace Demo; internal static class Unrelated { }");
        var driver = Driver(trackSteps: true).RunGenerators(compilation);

        var edited = Edit(compilation, 0, ModelSource.Replace("[Prunable(0.1)]", "[Prunable(0.2)]", StringComparison.Ordinal));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[PruningGenerator.Steps.Models].SelectMany(r => r.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        Assert.Contains("Rate = 0.2", result.GeneratedSources.Single(s => s.HintName == "Demo.Scheduled.Pruning.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_step_output_holds_a_Roslyn_object()
    {
        var result = Driver(trackSteps: true).RunGenerators(Compile(ModelSource)).GetRunResult().Results.Single();

        var checkedValues = 0;
        foreach (var step in NamedSteps)
        {
            foreach (var (value, _) in result.TrackedSteps[step].SelectMany(r => r.Outputs))
            {
                AssertNoRoslynObject(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                checkedValues++;
            }
        }

        Assert.True(checkedValues >= 5, $"only {checkedValues} step outputs were checked");
    }

    private static Compilation Edit(Compilation compilation, int index, string text)
    {
        var tree = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(text)));
    }

    private static void AssertNoRoslynObject(object? value, string path, HashSet<object> seen)
    {
        if (value is null or string || value.GetType().IsPrimitive || value.GetType().IsEnum || value is decimal)
        {
            return;
        }

        var type = value.GetType();
        Assert.False(
            type.Assembly.GetName().Name!.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal),
            $"{path} holds a {type.FullName}: Roslyn objects keep compilations alive and defeat caching.");
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items)
            {
                AssertNoRoslynObject(item, $"{path}[{i++}]", seen);
            }

            return;
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertNoRoslynObject(field.GetValue(value), $"{path}.{field.Name}", seen);
        }
    }
}
