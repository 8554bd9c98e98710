using System.Text.RegularExpressions;

namespace Lottery.Tests.Experiments;

/// <summary>The reference host's <c>imp</c> command, a real process: its options reach the method it runs.</summary>
public sealed class ImpCliTests
{
    [Fact]
    public void The_output_rate_prunes_the_output_layer_at_its_own_rate()
    {
        var (code, output) = RunCliTests.Cli("imp", "--epochs", "1", "--rounds", "1", "--output-rate", "0.5", "--validation", "0", "--threads", "1");

        Assert.True(code == 0, output);
        Assert.Contains("fc3 at 50%", output, StringComparison.Ordinal);

        // One round, counted by hand: fc1 and fc2 lose 20% (235,200 -> 188,160 and 30,000 -> 24,000), fc3 half of 1,000:
        // 212,660 of 266,200 weights remain, 79.9%.
        Assert.Matches(new Regex(@"fc1\.weight\s+300x784\s+188,160 / 235,200"), output);
        Assert.Matches(new Regex(@"fc2\.weight\s+100x300\s+24,000 / 30,000"), output);
        Assert.Matches(new Regex(@"fc3\.weight\s+10x100\s+500 / 1,000"), output);
        Assert.Matches(new Regex(@"(?m)^1\s+79\.9%"), output);
    }

    [Theory]
    [InlineData("--criterion", "Largest")]
    [InlineData("--rewind", "epoch:x")]
    public void A_value_that_names_nothing_is_one_line_naming_the_option(string option, string value)
    {
        var (code, output) = RunCliTests.Cli("imp", option, value);

        Assert.Equal(2, code);
        var line = Assert.Single(output.Trim().Split('\n'));
        Assert.StartsWith($"error: {option} '{value}' is not", line, StringComparison.Ordinal);
    }
}
