using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Lottery.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Lottery.Tests.Generators;

/// <summary>What one run of the generator over some sources gave.</summary>
internal sealed record GeneratorOutcome(
    Compilation Output,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    IReadOnlyDictionary<string, string> Sources,
    Exception? Exception)
{
    /// <summary>Compiler diagnostics of the output compilation (user code plus generated code), warnings and errors.</summary>
    public IReadOnlyList<Diagnostic> CompilerDiagnostics =>
        Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    /// <summary>Errors and warnings located in generated files: the generator wrote code that does not compile cleanly.</summary>
    public IReadOnlyList<Diagnostic> DiagnosticsInGeneratedCode =>
        CompilerDiagnostics.Where(d => d.Location.SourceTree is { } tree && tree.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)).ToList();
}

/// <summary>Runs <see cref="PruningGenerator"/> over C# sources compiled against .NET 10, TorchSharp and Lottery.Runtime.</summary>
internal static class GeneratorHarness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(PrunableAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location),
    ];

    /// <summary>The usings every test source starts with, as a user's model file would.</summary>
    public const string Usings = """
        using Lottery;
        using Lottery.Masks;
        using Lottery.Schedules;
        using Lottery.Training;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "GeneratorTest",
        sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"Source{i}.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
            // As the .NET SDK does: TorchSharp is built against an older System.Runtime.
            .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));

    public static GeneratorDriver Driver(bool trackSteps = false) => CSharpGeneratorDriver.Create(
        [new PruningGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    public static GeneratorOutcome Run(params string[] sources) => Run(Compile(sources));

    /// <summary>What Lottery's analyzers report on a compilation (the generator's output included, as in a user's build).</summary>
    public static ImmutableArray<Diagnostic> AnalyzerDiagnostics(Compilation compilation) =>
        new Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzers(compilation, [new Lottery.Generators.Diagnostics.UnreachedLayersAnalyzer()], new Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzersOptions(new Microsoft.CodeAnalysis.Diagnostics.AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();

    public static GeneratorOutcome Run(Compilation compilation)
    {
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var result = driver.GetRunResult().Results.Single();
        return new GeneratorOutcome(
            output,
            diagnostics,
            result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString()),
            result.Exception);
    }
}
