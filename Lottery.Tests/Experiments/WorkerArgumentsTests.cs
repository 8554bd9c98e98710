using System.CommandLine;
using Lottery.CommandLine;

namespace Lottery.Tests.Experiments;

/// <summary>`run --workers N` passes every experiment option it was given on to each worker, with its value.</summary>
public sealed class WorkerArgumentsTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("lottery-worker-arguments-");

    public void Dispose() => folder.Delete(recursive: true);

    [Fact]
    public void Every_option_given_to_run_with_workers_reaches_each_worker_with_its_value()
    {
        var results = Path.Combine(folder.FullName, "results");

        // Every option of the table, with the value a user gives; absolute paths, which a worker gets unchanged.
        var given = new Dictionary<string, string[]>
        {
            ["--seeds"] = ["3", "4"],
            ["--epochs"] = ["2"],
            ["--rounds"] = ["5"],
            ["--points"] = ["1", "3"],
            ["--data"] = ["fashion-mnist"],
            ["--data-dir"] = [folder.FullName],
            ["--validation"] = ["50"],
            ["--sparse-training"] = ["auto"],
            ["--device"] = ["cpu"],
            ["--out"] = [results],
            ["--name"] = ["renamed"],
            ["--stale-after"] = ["9"],
            ["--numerics"] = ["native"],
        };
        var options = new ExperimentOptions();
        Assert.Equal(given.Keys.Order(), options.Table.Select(e => e.Option.Name).Order());

        var command = new Command("run");
        options.AddTo(command);
        var parent = Root(command).Parse(["run", "some-experiment", .. given.SelectMany(p => p.Value.Prepend(p.Key))]);
        Assert.Empty(parent.Errors);

        var arguments = LocalWorkers.WorkerArguments(options.Arguments(parent), threads: 1, number: 2);
        var worker = Root(Lottery.CommandLine.RunCommand.Create()).Parse(arguments.ToArray());
        Assert.Empty(worker.Errors);
        Assert.Equal("some-experiment", worker.CommandResult.Tokens.First(t => t.Type == System.CommandLine.Parsing.TokenType.Argument).Value);
        foreach (var (name, values) in given)
        {
            var option = worker.CommandResult.Command.Options.Concat(worker.RootCommandResult.Command.Options).First(o => o.Name == name);
            Assert.Equal(values, worker.GetResult(option)?.Tokens.Select(t => t.Value).ToArray() ?? []);
        }

        Assert.Equal(["worker 2"], worker.GetResult(worker.CommandResult.Command.Options.Single(o => o.Name == "--worker"))!.Tokens.Select(t => t.Value));
    }

    [Fact]
    public void A_report_gets_every_option_but_how_claims_expire()
    {
        var options = new ExperimentOptions();
        var command = new Command("sweep");
        options.AddTo(command);
        var parse = Root(command).Parse(["sweep", "some-experiment", "--seeds", "7", "--stale-after", "9", "--out", folder.FullName]);
        Assert.Empty(parse.Errors);

        Assert.Equal(["some-experiment", "--seeds", "7", "--out", folder.FullName], options.Arguments(parse, withClaims: false));
        Assert.Equal(["some-experiment", "--seeds", "7", "--out", folder.FullName, "--stale-after", "9"], options.Arguments(parse));
    }

    private static RootCommand Root(Command command)
    {
        var root = new RootCommand { command };
        root.Options.Add(CommonOptions.Numerics);
        return root;
    }
}
