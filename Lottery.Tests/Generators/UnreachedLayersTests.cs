using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Generators;

/// <summary>LTH0035: a class with [Prunable] layers and no schedule that nothing in the project holds or creates.</summary>
public class UnreachedLayersTests
{
    private const string Block = """
        public sealed partial class Block : nn.Module<Tensor, Tensor>
        {
            [Prunable] private readonly Linear fc = nn.Linear(4, 4);
            public Block() : base(nameof(Block)) => RegisterComponents();
            public override Tensor forward(Tensor input) => fc.forward(input);
        }

        """;

    [Fact]
    public void A_block_nothing_holds_or_creates_is_reported_at_its_declaration()
    {
        var diagnostic = Assert.Single(Analyze(Usings + Block));
        Assert.Equal("LTH0035", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains("'Block' declares [Prunable] layers but no [PruneSchedule]", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal("Block", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Theory]
    [InlineData("private readonly Sequential body = nn.Sequential(new Block(), new Block());")]
    [InlineData("private readonly ModuleList<Block> body = new ModuleList<Block>();")]
    [InlineData("private readonly Block? body;")]
    public void A_block_a_model_holds_or_creates_is_not_reported(string member)
    {
        var model = $$"""
            [PruneSchedule(ScheduleKind.Iterative, Rounds = 2)]
            public sealed partial class Model : nn.Module<Tensor, Tensor>
            {
                {{member}}
                public Model() : base(nameof(Model)) => RegisterComponents();
                public override Tensor forward(Tensor input) => input;
            }
            """;
        Assert.Empty(Analyze(Usings + Block + model));
    }

    // As in a user's project: the generator's code is there when analyzers run.
    private static ImmutableArray<Diagnostic> Analyze(string source) => AnalyzerDiagnostics(Run(source).Output);
}
