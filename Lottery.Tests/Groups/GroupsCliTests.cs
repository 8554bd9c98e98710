using static Lottery.Tests.Experiments.RunCliTests;

namespace Lottery.Tests.Groups;

/// <summary>The groups command, as a user runs it: the lottery program on a declared experiment.</summary>
public class GroupsCliTests
{
    [Fact]
    public void The_groups_command_shows_the_small_ResNets_groups_with_their_units()
    {
        var (code, output) = Cli("groups", "small-resnet-digits");

        Assert.True(code == 0, output);
        Assert.Contains("stem + blocks.0.conv2", output, StringComparison.Ordinal);
        Assert.Contains("blocks.2.conv2 + blocks.2.projection", output, StringComparison.Ordinal);
        Assert.Contains("6 groups;", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_chain_has_one_group_per_hidden_layer()
    {
        var (code, output) = Cli("groups", "lenet-300-100-mnist-digits");

        // LeNet-300-100 is a plain chain the tracer follows; its two hidden layers are its groups.
        Assert.True(code == 0, output);
        Assert.Contains("2 groups;", output, StringComparison.Ordinal);
    }
}
