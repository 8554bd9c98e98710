using Basic.Reference.Assemblies;
using Lottery.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

namespace Lottery.Tests.Generators;

/// <summary>
/// Every diagnostic case of <see cref="DiagnosticTests"/>, verified by Roslyn's own test framework for source generators
/// (Microsoft.CodeAnalysis.CSharp.SourceGenerators.Testing): the generator reports exactly that diagnostic, with its id,
/// severity and span, and the user's source with it compiles to nothing else.
/// </summary>
public sealed class FrameworkDiagnosticTests
{
    /// <summary>The generator's cases (an analyzer's, which need the whole compilation, are checked in <see cref="DiagnosticTests"/>).</summary>
    public static TheoryData<string, DiagnosticSeverity, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, DiagnosticSeverity, string>();
            foreach (var row in DiagnosticTests.Cases.Where(row => !DiagnosticTests.AnalyzerIds.Contains((string)row[0])))
            {
                cases.Add((string)row[0], (DiagnosticSeverity)row[1], (string)row[2]);
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Roslyns_generator_test_framework_finds_the_diagnostic_on_its_span(string id, DiagnosticSeverity severity, string markedSource)
    {
        var marked = GeneratorHarness.Usings + markedSource;
        var start = marked.IndexOf("[|", StringComparison.Ordinal);
        var end = marked.IndexOf("|]", start, StringComparison.Ordinal) - 2;
        var source = marked.Remove(start, 2).Remove(end, 2);
        var lines = SourceText.From(source).Lines;
        var from = lines.GetLinePosition(start);
        var to = lines.GetLinePosition(end);

        var test = new CSharpSourceGeneratorTest<PruningGenerator, DefaultVerifier>
        {
            // The framework's default reference assemblies come from NuGet at run time; .NET 10's are given below instead.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            // The generated files are checked by the golden-file tests; here only the diagnostics.
            TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        test.TestState.AdditionalReferences.AddRange(Net100.References.All);
        test.TestState.AdditionalReferences.Add(typeof(PrunableAttribute).Assembly);
        test.TestState.AdditionalReferences.Add(typeof(TorchSharp.torch).Assembly);
        test.TestState.Sources.Add(source);
        test.ExpectedDiagnostics.Add(new DiagnosticResult(id, severity).WithSpan(from.Line + 1, from.Character + 1, to.Line + 1, to.Character + 1));
        await test.RunAsync();
    }
}
