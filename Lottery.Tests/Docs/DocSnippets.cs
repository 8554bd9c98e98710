using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Lottery.Tests.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lottery.Tests.Docs;

/// <summary>How a ```csharp block of the docs is checked, from the HTML comment on the line before its fence.</summary>
internal enum SnippetKind
{
    /// <summary>No marker: a complete compilation unit of its own.</summary>
    Complete,

    /// <summary><c>&lt;!-- snippet: continues --&gt;</c>: compiled with the types the page's earlier blocks declare.</summary>
    Continues,

    /// <summary><c>&lt;!-- snippet: attributes --&gt;</c>: attributes, put on a small model class the check supplies.</summary>
    Attributes,

    /// <summary><c>&lt;!-- snippet: fragment --&gt;</c>: shown, never compiled.</summary>
    Fragment,
}

/// <summary>One ```csharp block: the file it is in (relative to the repository), the line of its opening fence.</summary>
internal sealed record DocSnippet(string File, int Line, SnippetKind Kind, string Code)
{
    public string Name => $"{File}:{Line}";
}

/// <summary>Finds the C# blocks of the docs and compiles each as a user's project would, generator included.</summary>
internal static partial class DocSnippets
{
    /// <summary>What a new project has without asking (<c>ImplicitUsings</c> of a .NET 10 console app).</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>The usings of a model file (docs/first-model.md), for blocks that are a model's attributes alone.</summary>
    private const string ModelUsings = """
        global using Lottery;
        global using Lottery.Masks;
        global using Lottery.Schedules;
        global using TorchSharp.Modules;
        global using static TorchSharp.torch;
        """;

    /// <summary>The class an attributes block is put on: two prunable layers, nothing else.</summary>
    private const string AttributesTarget = """

        public sealed partial class SnippetModel : nn.Module<Tensor, Tensor>
        {
            [Prunable] private readonly Linear fc1 = nn.Linear(4, 3);
            [Prunable] private readonly Linear fc2 = nn.Linear(3, 2);

            public SnippetModel() : base(nameof(SnippetModel)) => RegisterComponents();

            public override Tensor forward(Tensor x) => fc2.call(nn.functional.relu(fc1.call(x)));
        }
        """;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>
    /// The test process's platform assemblies, among them the .NET 10 runtime, Lottery.Runtime, Lottery.CommandLine,
    /// TorchSharp, ONNX Runtime and the examples' models; less the tests and the generator, which a user's project
    /// does not reference.
    /// </summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat([typeof(PrunableAttribute).Assembly.Location, typeof(TorchSharp.torch).Assembly.Location,
                     typeof(Lottery.CommandLine.LotteryCommandLine).Assembly.Location])
            .Where(path => Path.GetFileName(path) is not ("Lottery.Tests.dll" or "Lottery.Generators.dll"))
            .Distinct(StringComparer.Ordinal);
        return [.. paths.Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
    });

    private static readonly Lazy<string> NativeInitializer = new(() =>
        System.IO.File.ReadAllText(Path.Combine(RepositoryRoot(), "Lottery.Runtime", "buildTransitive", "LotteryNativeInitializer.cs")));

    /// <summary>The repository: the first folder above the tests' own that holds Lottery.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(folder.FullName, "Lottery.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Lottery.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Every C# block of README.md and of every page under docs/.</summary>
    public static IReadOnlyList<DocSnippet> All()
    {
        var root = RepositoryRoot();
        var pages = new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        return [.. pages.SelectMany(page => Parse(Path.GetRelativePath(root, page).Replace('\\', '/'), System.IO.File.ReadAllText(page)))];
    }

    /// <summary>The C# blocks of one page; a marker this check does not know is an error, never a silent skip.</summary>
    public static IReadOnlyList<DocSnippet> Parse(string file, string markdown)
    {
        var lines = markdown.Split('\n').Select(line => line.TrimEnd('\r')).ToArray();
        var snippets = new List<DocSnippet>();
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = Fence().Match(lines[i]);
            if (!fence.Success)
            {
                continue;
            }

            // Every fenced block is skipped whole, so that a fence shown inside another block is not taken for one.
            var start = i;
            var indent = fence.Groups["indent"].Value.Length;
            var body = lines.Skip(i + 1).TakeWhile(line => line.Trim() != "```").ToList();
            i += body.Count + 1;
            if (fence.Groups["language"].Value.ToLowerInvariant() is not ("csharp" or "cs" or "c#"))
            {
                continue;
            }

            if (i >= lines.Length)
            {
                throw new InvalidOperationException($"{file}:{start + 1}: the ```csharp block is never closed.");
            }

            var code = string.Join('\n', body.Select(line => line.Length >= indent && string.IsNullOrWhiteSpace(line[..indent]) ? line[indent..] : line.TrimStart()));
            snippets.Add(new DocSnippet(file, start + 1, KindOf(file, start + 1, start > 0 ? lines[start - 1] : ""), code + "\n"));
        }

        return snippets;
    }

    private static SnippetKind KindOf(string file, int line, string lineBefore)
    {
        var marker = Marker().Match(lineBefore);
        if (!marker.Success)
        {
            return SnippetKind.Complete;
        }

        return marker.Groups["kind"].Value switch
        {
            "continues" => SnippetKind.Continues,
            "attributes" => SnippetKind.Attributes,
            "fragment" => SnippetKind.Fragment,
            var other => throw new InvalidOperationException(
                $"{file}:{line}: unknown snippet marker '{other}' (known: continues, attributes, fragment; see docs/testing.md)."),
        };
    }

    /// <summary>
    /// Compiles the block (with the types of the page's earlier blocks when it continues them), runs the source
    /// generator, and gives every error and warning as "file:line: id: message", lines counted in the .md file.
    /// </summary>
    public static IReadOnlyList<string> Problems(DocSnippet snippet, IReadOnlyList<DocSnippet> page)
    {
        if (snippet.Kind == SnippetKind.Fragment)
        {
            return [];
        }

        var blocks = new Dictionary<string, DocSnippet>(StringComparer.Ordinal);
        var trees = new List<SyntaxTree>
        {
            CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, path: "GlobalUsings.g.cs"),
            CSharpSyntaxTree.ParseText(NativeInitializer.Value, ParseOptions, path: "LotteryNativeInitializer.cs"),
        };
        if (snippet.Kind == SnippetKind.Continues)
        {
            foreach (var earlier in page.Where(s => s.Line < snippet.Line && s.Kind is SnippetKind.Complete or SnippetKind.Continues))
            {
                // Only the types: the statements of an earlier block ran in its own program.
                var root = (CompilationUnitSyntax)Parse(earlier, earlier.Code).GetRoot();
                trees.Add(root.WithMembers(SyntaxFactory.List(root.Members.Where(m => m is not GlobalStatementSyntax))).SyntaxTree);
                blocks[earlier.Name] = earlier;
            }
        }

        if (snippet.Kind == SnippetKind.Attributes)
        {
            trees.Add(CSharpSyntaxTree.ParseText(ModelUsings, ParseOptions, path: "ModelUsings.g.cs"));
        }

        trees.Add(Parse(snippet, snippet.Kind == SnippetKind.Attributes ? snippet.Code + AttributesTarget : snippet.Code));
        blocks[snippet.Name] = snippet;

        var hasStatements = trees.Any(tree => tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any());
        var compilation = CSharpCompilation.Create(
            "DocSnippet",
            trees,
            References.Value,
            new CSharpCompilationOptions(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // As the .NET SDK does: TorchSharp is built against an older System.Runtime.
                .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));

        var outcome = GeneratorHarness.Run(compilation);
        var problems = outcome.GeneratorDiagnostics.Concat(outcome.CompilerDiagnostics)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => Describe(d, blocks))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (outcome.Exception is { } exception)
        {
            problems.Add($"the generator threw: {exception}");
        }

        return problems;
    }

    private static SyntaxTree Parse(DocSnippet snippet, string code) => CSharpSyntaxTree.ParseText(code, ParseOptions, path: snippet.Name);

    /// <summary>A diagnostic at its line in the .md file (a block's first code line is the line after its fence).</summary>
    private static string Describe(Diagnostic diagnostic, Dictionary<string, DocSnippet> blocks)
    {
        var message = $"{diagnostic.Severity.ToString().ToLowerInvariant()} {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
        var span = diagnostic.Location.GetLineSpan();
        if (!diagnostic.Location.IsInSource)
        {
            return message;
        }

        return blocks.TryGetValue(span.Path, out var block)
            ? $"{block.File}:{block.Line + 1 + span.StartLinePosition.Line}: {message}"
            : $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {message}";
    }

    [GeneratedRegex(@"^(?<indent>\s*)```\s*(?<language>[^`\s]*)[^`]*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*(?<kind>.*?)\s*-->\s*$")]
    private static partial Regex Marker();
}
