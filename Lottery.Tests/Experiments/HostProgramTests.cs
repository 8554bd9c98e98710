using System.CommandLine;
using Lottery.CommandLine;
using Lottery.Reporting;

namespace Lottery.Tests.Experiments;

/// <summary>The runtime's messages name the program that hosts the command line, not always <c>lottery</c>.</summary>
public sealed class HostProgramTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("lottery-host-program-");

    public void Dispose()
    {
        HostProgram.Name = "lottery";
        folder.Delete(recursive: true);
    }

    [Fact]
    public void A_runtime_message_tells_the_user_to_run_the_host_program_it_was_given()
    {
        HostProgram.Name = "digits-lab";

        var error = Assert.Throws<FileNotFoundException>(() => ExperimentSummary.Load(folder.FullName));

        Assert.Contains("Run `digits-lab run <experiment>` first", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("lottery run", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_line_gives_the_runtime_the_name_of_the_program_hosting_it()
    {
        // Hosted here by the test runner, whose name System.CommandLine reads from the process, as for any host.
        var host = new RootCommand().Name;
        Assert.NotEqual("lottery", host);
        var errors = new StringWriter();
        var before = Console.Error;
        Console.SetError(errors);
        try
        {
            Assert.Equal(2, LotteryCommandLine.Run(["report", "no-such-experiment", "--out", folder.FullName]));
        }
        finally
        {
            Console.SetError(before);
        }

        Assert.Contains($"Run `{host} run <experiment>` first", errors.ToString(), StringComparison.Ordinal);
    }
}
