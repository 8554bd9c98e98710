namespace Lottery.Tests.Docs;

/// <summary>Every ```csharp block of README.md and docs/ compiles against today's API, with the generator run.</summary>
public class DocSnippetTests
{
    private static readonly Lazy<IReadOnlyList<DocSnippet>> Snippets = new(DocSnippets.All);

    /// <summary>One case per block, shown as "file:line" (the line of its opening fence).</summary>
    public static TheoryData<string> Blocks => [.. Snippets.Value.Select(snippet => snippet.Name)];

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Snippet_compiles(string block)
    {
        var snippet = Snippets.Value.Single(s => s.Name == block);
        var problems = DocSnippets.Problems(snippet, [.. Snippets.Value.Where(s => s.File == snippet.File)]);
        Assert.True(problems.Count == 0,
            $"The ```csharp block at {block} does not compile (markers: docs/testing.md#the-docs-snippets):\n  " + string.Join("\n  ", problems));
    }

    // A page written for these tests: a model, a block that continues it, and a call in the third block.
    private static string Page(string call) => $$"""
        # A page

        ```csharp
        using Lottery;
        using Lottery.Schedules;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        [PruneSchedule(ScheduleKind.OneShot, Name = "Once", TargetRemaining = 0.5)]
        public sealed partial class Tiny : nn.Module<Tensor, Tensor>
        {
            [Prunable] private readonly Linear fc = nn.Linear(4, 2);

            public Tiny() : base(nameof(Tiny)) => RegisterComponents();

            public override Tensor forward(Tensor x) => fc.call(x);
        }
        ```

        Then:

        <!-- snippet: continues -->
        ```csharp
        var model = new Tiny();
        {{call}}
        ```
        """;

    [Fact]
    public void The_check_accepts_a_page_whose_blocks_compile_and_names_the_file_line_and_member_of_one_that_does_not()
    {
        var good = DocSnippets.Parse("docs/page.md", Page("Console.WriteLine(model.WeightsRemaining);"));
        Assert.Equal(new[] { "docs/page.md:3", "docs/page.md:23" }, good.Select(s => s.Name));
        Assert.All(good, snippet => Assert.Empty(DocSnippets.Problems(snippet, good)));

        // The call is the page's 25th line (counted by hand above); the member does not exist on the model.
        var broken = DocSnippets.Parse("docs/page.md", Page("model.PruneEverythingNow();"));
        var problem = Assert.Single(DocSnippets.Problems(broken[1], broken));
        Assert.StartsWith("docs/page.md:25: error CS1061:", problem, StringComparison.Ordinal);
        Assert.Contains("PruneEverythingNow", problem, StringComparison.Ordinal);

        // Without its marker, the second block does not see the model.
        var alone = DocSnippets.Parse("docs/page.md", Page("Console.WriteLine(model.WeightsRemaining);").Replace("<!-- snippet: continues -->", "", StringComparison.Ordinal));
        Assert.Contains(DocSnippets.Problems(alone[1], alone), p => p.StartsWith("docs/page.md:24: error CS0246:", StringComparison.Ordinal) && p.Contains("'Tiny'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_check_reports_the_generators_diagnostics_and_checks_attribute_blocks_on_a_model()
    {
        // A rate of 1.5 is outside (0, 1): LTH0005 in docs/diagnostics.md; the attribute is the block's first line.
        const string page = """
            <!-- snippet: attributes -->
            ```csharp
            [PruneSchedule(ScheduleKind.EveryEpoch, Name = "Fast", Rate = 1.5, TargetRemaining = 0.1)]
            ```

            <!-- snippet: attributes -->
            ```csharp
            [PruneSchedule(ScheduleKind.EveryEpoch, Name = "Fine", Rate = 0.5, TargetRemaining = 0.5)]
            ```
            """;
        var snippets = DocSnippets.Parse("docs/page.md", page);
        Assert.Contains(DocSnippets.Problems(snippets[0], snippets), p => p.StartsWith("docs/page.md:3: error LTH0005:", StringComparison.Ordinal));
        Assert.Empty(DocSnippets.Problems(snippets[1], snippets));
    }

    [Fact]
    public void A_fragment_is_not_compiled_and_an_unknown_marker_is_an_error()
    {
        var fragment = Assert.Single(DocSnippets.Parse("docs/page.md", "<!-- snippet: fragment -->\n```csharp\nthis is not C#\n```\n"));
        Assert.Equal(SnippetKind.Fragment, fragment.Kind);
        Assert.Empty(DocSnippets.Problems(fragment, [fragment]));

        var error = Assert.Throws<InvalidOperationException>(() => DocSnippets.Parse("docs/page.md", "text\n<!-- snippet: skip -->\n```csharp\nx\n```\n"));
        Assert.Contains("docs/page.md:3", error.Message, StringComparison.Ordinal);
    }
}
