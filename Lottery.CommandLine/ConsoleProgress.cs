using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Reporting;
using Lottery.Training;
using Spectre.Console;

namespace Lottery.CommandLine;

/// <summary>
/// Shows a comparison's progress: in a terminal, live bars (all runs, and the current run with its round, epoch,
/// accuracy, weights remaining and time left); in a log (CI, a pipe), one line per finished run and IMP round.
/// Runs trained side by side (several workers) each have their own bar.
/// </summary>
internal static class ConsoleProgress
{
    public static T Run<T>(IAnsiConsole console, Func<IExperimentProgress, T> work)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            return work(new Lines(console));
        }

        T report = default!;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => report = work(new Bars(console, context)));
        return report;
    }

    private static string Describe(PlannedRun run, RunResult result, bool reused) =>
        FormattableString.Invariant(
            $"{run.Label}: {result.FinalWeightsRemaining * 100:0.0}% of weights, test accuracy {result.Final.FinalTest.Accuracy * 100:0.00}% (early stop {result.Final.TestAccuracyAtBestValidation * 100:0.00}%), {result.EpochsTrained} epochs, {result.TrainingSeconds:0.0} s{(reused ? " (saved result)" : string.Empty)}");

    private static string Epoch(PlannedRun run, EpochMetrics m) =>
        FormattableString.Invariant(
            $"{run.Label}: round {m.Round} epoch {m.Epoch}, {m.WeightsRemaining * 100:0.0}% weights, validation {m.Validation.Accuracy * 100:0.00}%");

    private sealed class Lines(IAnsiConsole console) : IExperimentProgress
    {
        private int total;
        private int done;

        public void Planned(IReadOnlyList<PlannedRun> runs)
        {
            total = runs.Count;
            console.WriteLine(FormattableString.Invariant($"{runs.Count} runs, {runs.Sum(r => r.Epochs)} epochs in all; finished runs are read back."));
        }

        public void Epoch(PlannedRun run, EpochMetrics metrics)
        {
            if (run.HasRounds && metrics.Epoch == run.EpochsPerRound)
            {
                console.WriteLine("  " + ConsoleProgress.Epoch(run, metrics));
            }
        }

        public void Finished(PlannedRun run, RunResult result, bool reused) =>
            console.WriteLine(FormattableString.Invariant($"[{++done}/{total}] {Describe(run, result, reused)}"));

        // Written past Spectre's line width: a warning is one line, whole, for logs and for whoever searches them.
        public void Warning(string message) => console.Profile.Out.Writer.WriteLine("warning: " + message);
    }

    private sealed class Bars(IAnsiConsole console, ProgressContext context) : IExperimentProgress
    {
        private readonly Dictionary<PlannedRun, ProgressTask> current = [];
        private ProgressTask? overall;
        private int total;
        private int done;

        public void Planned(IReadOnlyList<PlannedRun> runs)
        {
            total = runs.Count;
            overall = context.AddTask($"all runs (0/{total})", maxValue: Math.Max(1, runs.Sum(r => r.Epochs)));
        }

        public void Starting(PlannedRun run) => current[run] = context.AddTask(Markup.Escape(run.Label), maxValue: run.Epochs);

        public void Epoch(PlannedRun run, EpochMetrics metrics)
        {
            overall?.Increment(1);
            if (current.TryGetValue(run, out var task))
            {
                task.Increment(1);
                task.Description = Markup.Escape(ConsoleProgress.Epoch(run, metrics));
            }
        }

        public void Finished(PlannedRun run, RunResult result, bool reused)
        {
            done++;
            if (reused)
            {
                overall?.Increment(run.Epochs);
            }

            if (overall is not null)
            {
                overall.Description = FormattableString.Invariant($"all runs ({done}/{total})");
            }

            if (current.Remove(run, out var task))
            {
                task.Value = task.MaxValue;
                task.StopTask();
            }

            console.MarkupLine(Markup.Escape(Describe(run, result, reused)));
        }

        public void Warning(string message) => console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");
    }
}
