using System.CommandLine;
using Lottery.Data;
using Lottery.Experiments;
using Lottery.Runs;
using Spectre.Console;

namespace Lottery.Examples.Commands;

/// <summary>
/// Runs a declared experiment: every arm for every seed, with the run store (finished runs read back, interrupted
/// ones resumed), then the summary, report and charts. Options override the declaration.
/// </summary>
internal static class RunCommand
{
    /// <summary>The experiment the program runs with no command: the hypothesis comparison on the embedded digits.</summary>
    public const string DefaultExperiment = "lenet-300-100-mnist-digits";

    public static Command Create()
    {
        var name = new Argument<string>("experiment") { Description = $"The experiment's name (`list` shows them; default {DefaultExperiment}).", DefaultValueFactory = _ => DefaultExperiment };
        var seeds = new Option<long[]?>("--seeds") { Description = "Seeds instead of the declared ones; each runs every arm.", AllowMultipleArgumentsPerToken = true };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs of one training (each IMP round, each one-run arm's whole run) instead of the declared number." };
        var rounds = new Option<int?>("--rounds") { Description = "Rounds of every Iterative (IMP) arm instead of the declared number." };
        var points = new Option<int[]?>("--points") { Description = "The matched arm's rounds that one-run arms are matched to, instead of the declared points.", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string?>("--data") { Description = $"A built-in data set instead of the declared data: {string.Join(" or ", DataSets.Known)}." };
        var dataFolder = CommonOptions.DataFolder();
        var validation = new Option<int?>("--validation") { Description = "Training examples held out for validation instead of the declared number." };
        var output = CommonOptions.Output();
        var outputName = new Option<string?>("--name") { Description = "The folder of the report under --out (default: the experiment's name)." };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        CommonOptions.Require(epochs, v => v is null or >= 1, "it must be at least 1");
        CommonOptions.Require(rounds, v => v is null or >= 1, "it must be at least 1");
        CommonOptions.Require(validation, v => v is null or >= 0, "it must not be negative");
        CommonOptions.Require(data, v => v is null || DataSets.Known.Contains(v, StringComparer.OrdinalIgnoreCase), $"use one of {string.Join(", ", DataSets.Known)}, or declare your own data with [Experiment(Data = typeof(...))]");

        var command = new Command("run", "Runs a declared experiment: every arm for every seed (finished runs are read back, interrupted ones resume), then writes summary.json, summary.csv, report.md and three charts to <out>/<name>/.")
        {
            name, seeds, epochs, rounds, points, data, dataFolder, validation, output, outputName, threads, device,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var experiment = ExperimentCatalog.Find(typeof(RunCommand).Assembly, parse.GetValue(name)!);
            experiment = Override(experiment, parse.GetValue(seeds), parse.GetValue(epochs), parse.GetValue(rounds), parse.GetValue(points), parse.GetValue(data), parse.GetValue(dataFolder), parse.GetValue(validation), parse.GetValue(outputName));
            experiment = experiment with { Training = CommonOptions.WithDevice(experiment.Training, parse.GetValue(device)) };
            experiment.Validate();
            var folder = CommonOptions.WritableFolder(parse.GetValue(output)!);
            var console = AnsiConsole.Console;
            console.MarkupLineInterpolated($"[bold]{experiment.Name}[/]: {experiment.Data.Name}, {experiment.Training.Epochs} epochs per training, seeds {string.Join(" ", experiment.Seeds)}, arms {string.Join(", ", experiment.Arms.Select(a => a.Name))}");
            var summary = ConsoleProgress.Run(console, progress => ExperimentRunner.Run(experiment, folder, progress));
            ReportCommand.Show(console, summary, Path.Combine(folder, experiment.Name));
            return 0;
        });
        return command;
    }

    private static ExperimentDefinition Override(ExperimentDefinition experiment, long[]? seeds, int? epochs, int? rounds, int[]? points, string? data, string? dataFolder, int? validation, string? name)
    {
        if (seeds is { Length: > 0 })
        {
            experiment = experiment with { Seeds = seeds };
        }

        if (epochs is { } e)
        {
            experiment = experiment with { Training = experiment.Training with { Epochs = e } };
        }

        if (rounds is { } r)
        {
            experiment = experiment with
            {
                Arms = experiment.Arms.Select(a => a is MethodArm { Method.Schedule: ScheduleKind.Iterative } imp ? new MethodArm(imp.Name, imp.Method with { Rounds = r }) : a).ToList(),
            };
        }

        if (points is { Length: > 0 })
        {
            experiment = experiment with
            {
                Points = experiment.Points is { } declared ? declared with { Rounds = points } : throw new ArgumentException($"--points: experiment {experiment.Name} matches no arms to points."),
            };
        }

        if (data is not null || dataFolder is not null)
        {
            var dataName = data ?? (experiment.Data as BuiltInDataSource)?.Name
                ?? throw new ArgumentException($"--data-dir: experiment {experiment.Name} reads its own data ({experiment.Data.Name}); --data-dir applies to the built-in data sets only.");
            experiment = experiment with { Data = DataSets.Source(dataName, dataFolder) };
        }

        if (validation is { } v)
        {
            experiment = experiment with { ValidationCount = v };
        }

        return name is null ? experiment : experiment with { Name = name };
    }
}
