using System.CommandLine;
using System.Globalization;
using Lottery.Experiments;
using Spectre.Console;

namespace Lottery.CommandLine;

/// <summary>
/// Runs a declared experiment: every arm for every seed, with the run store (finished runs read back, interrupted
/// ones resumed), on several local worker processes by default, then the summary, report and charts. Options
/// override the declaration.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var experimentOptions = new ExperimentOptions();
        var threads = CommonOptions.WorkerThreads();
        var workers = new Option<int?>("--workers") { Description = "Worker processes sharing the runs (default: one per core while memory allows about 2 GiB each; 1: train in this process)." };
        var worker = new Option<string?>("--worker") { Description = "Run as one worker of several, labelled so: train what no other worker has claimed, write no summary.", Hidden = true };
        CommonOptions.Require(workers, v => v is null or >= 1, "it must be at least 1");

        var command = new Command("run", $"Runs a declared experiment: every arm for every seed (finished runs are read back, interrupted ones resume), then writes summary.json, summary.csv, report.md and three charts to <out>/<name>/. Any number of {HostProgram.Command("run")} processes may share one --out folder: each run is trained once.");
        experimentOptions.AddTo(command);
        command.Options.Add(threads);
        command.Options.Add(workers);
        command.Options.Add(worker);
        command.SetAction(parse =>
        {
            var experiment = experimentOptions.Experiment(parse);

            // A profile this machine cannot run, or that did not reach LibTorch, stops here, before workers start or anything is written.
            ExperimentRunner.UseNumerics(experiment);
            var folder = CommonOptions.WritableFolder(experimentOptions.Output(parse));
            var claims = new Results.ClaimSettings { StaleAfter = experimentOptions.StaleAfter(parse), Worker = parse.GetValue(worker) };
            if (parse.GetValue(worker) is not null)
            {
                // One worker of several: its progress goes to the process that started it, and it ends with it.
                LocalWorkers.EndWithParent();
                CommonOptions.ApplyThreads(parse.GetValue(threads) ?? 1);
                var plan = ExperimentPlan.Create(experiment);
                ExperimentRunner.Work(experiment, folder, new LocalWorkers.Lines(plan), new WorkerOptions { Claims = claims });
                return 0;
            }

            var console = AnsiConsole.Console;
            var planned = ExperimentPlan.Create(experiment);
            var count = parse.GetValue(workers) ?? LocalWorkers.DefaultWorkers(planned.Count);
            console.MarkupLineInterpolated($"[bold]{experiment.Name}[/]: {experiment.Data.Name}, {experiment.Training.Epochs} epochs per training, seeds {string.Join(" ", experiment.Seeds)}, arms {string.Join(", ", experiment.Arms.Select(a => a.Name))}");
            if (count == 1)
            {
                CommonOptions.ApplyThreads(parse.GetValue(threads) ?? 1);
                var single = ConsoleProgress.Run(console, progress => ExperimentRunner.Run(experiment, folder, progress, new WorkerOptions { Claims = claims }));
                ReportCommand.Show(console, single, Path.Combine(folder, experiment.Name));
                return 0;
            }

            // A data problem is one error here, not the same error from every worker.
            ExperimentRunner.CheckData(experiment);
            var perWorker = parse.GetValue(threads) ?? 1;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} workers, {perWorker} thread{(perWorker == 1 ? string.Empty : "s")} each, on {folder}"));
            IReadOnlyList<string> failures = [];
            var summary = ConsoleProgress.Run(console, progress =>
            {
                progress.Planned(planned);
                failures = LocalWorkers.Run(planned, experimentOptions.Arguments(parse), count, perWorker, progress);
                if (failures.Count > 0 && ExperimentRunner.Unfinished(experiment, folder).Count == 0)
                {
                    // A worker was lost, but the others finished every run: the summary is whole.
                    foreach (var failure in failures)
                    {
                        progress.Warning($"{(failure.StartsWith("error: ", StringComparison.Ordinal) ? failure["error: ".Length..] : failure).TrimEnd('.')}; the other workers finished every run, so the summary is complete.");
                    }

                    failures = [];
                }

                return failures.Count > 0 ? null : ExperimentRunner.Summarize(experiment, folder, out UnfinishedRuns _);
            });
            if (summary is null)
            {
                foreach (var failure in failures)
                {
                    Console.Error.WriteLine(failure);
                }

                Console.Error.WriteLine($"error: {failures.Count} worker error{(failures.Count == 1 ? string.Empty : "s")} above; finished runs are kept. Run the same command again to finish the rest.");
                return 2;
            }

            ReportCommand.Show(console, summary, Path.Combine(folder, experiment.Name));
            return 0;
        });
        return command;
    }
}
