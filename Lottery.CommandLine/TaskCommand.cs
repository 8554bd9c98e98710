using System.CommandLine;
using System.Globalization;
using Lottery.Experiments;
using Lottery.Results;
using Spectre.Console;

namespace Lottery.CommandLine;

/// <summary>
/// One task of a sweep (a Slurm array task, a Kubernetes Indexed Job's pod): trains the runs of one stage that its
/// index names, in the shared results folder, claiming each like any worker. The index comes from --index, or from
/// SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.
/// </summary>
internal static class TaskCommand
{
    /// <summary>The environment variables a batch system gives a task its index in.</summary>
    public static readonly string[] IndexVariables = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"];

    public static Command Create()
    {
        var experimentOptions = new ExperimentOptions();
        var stage = new Option<int>("--stage") { Description = $"The sweep's stage ({HostProgram.Command("sweep")} writes one job array per stage).", Required = true };
        var index = new Option<int?>("--index") { Description = $"The task's index in its stage (default: ${IndexVariables[0]} or ${IndexVariables[1]})." };
        var perTask = new Option<int>("--runs-per-task") { Description = "Runs each task trains (as the sweep was written with).", DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.WorkerThreads();
        CommonOptions.Require(perTask, v => v >= 1, "each task trains at least 1 run");
        var command = new Command("task", $"Trains one task of a sweep: the runs of --stage that --index (or SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX) names, in the shared --out folder. {HostProgram.Command("sweep")} writes the scripts that run it.");
        experimentOptions.AddTo(command);
        command.Options.Add(stage);
        command.Options.Add(index);
        command.Options.Add(perTask);
        command.Options.Add(threads);
        command.SetAction(parse =>
        {
            var experiment = experimentOptions.Experiment(parse);
            var sweep = SweepPlan.Create(experiment, parse.GetValue(perTask));
            var task = parse.GetValue(index) ?? IndexFromEnvironment();
            var runs = sweep.Runs(parse.GetValue(stage), task);
            var folder = CommonOptions.WritableFolder(experimentOptions.Output(parse));
            CommonOptions.ApplyThreads(parse.GetValue(threads) ?? 1);
            var job = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { } array ? $"slurm job {array} " : string.Empty;
            var label = string.Create(CultureInfo.InvariantCulture, $"{job}stage {parse.GetValue(stage)} task {task}");
            var console = AnsiConsole.Console;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{experiment.Name}, {label}: {runs.Count} run{(runs.Count == 1 ? string.Empty : "s")} ({string.Join(", ", runs.Order().Select(i => sweep.Plan[i].Label))}) in {folder}"));
            var report = ConsoleProgress.Run(console, progress =>
                ExperimentRunner.Work(experiment, folder, progress, new WorkerOptions { Assigned = runs, Claims = new ClaimSettings { StaleAfter = experimentOptions.StaleAfter(parse), Worker = label } }));
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: trained {report.Trained}, read back {report.ReadBack}. `{HostProgram.Name} report {experiment.Name}` shows what has finished."));
            return 0;
        });
        return command;
    }

    private static int IndexFromEnvironment()
    {
        foreach (var variable in IndexVariables)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    ? index
                    : throw new ArgumentException($"{variable}='{value}' is not a task index: it must be a whole number from 0.");
            }
        }

        throw new ArgumentException($"--index: give the task's index, or run it as a Slurm array task ({IndexVariables[0]}) or in a Kubernetes Indexed Job ({IndexVariables[1]}).");
    }
}
