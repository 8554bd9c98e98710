using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Reporting;
using Lottery.Training;
using Spectre.Console;

namespace Lottery.Examples.Commands;

/// <summary>
/// Shows a comparison's progress: in a terminal, live bars (all runs, and the current run with its round, epoch,
/// accuracy, weights remaining and time left); in a log (CI, a pipe), one line per finished run and IMP round.
/// </summary>
internal static class ConsoleProgress
{
    public static ExperimentSummary Run(IAnsiConsole console, Func<IExperimentProgress, ExperimentSummary> work)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            return work(new Lines(console));
        }

        ExperimentSummary? report = null;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => report = work(new Bars(console, context)));
        return report!;
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

        public void Warning(string message) => console.WriteLine("warning: " + message);
    }

    private sealed class Bars(IAnsiConsole console, ProgressContext context) : IExperimentProgress
    {
        private ProgressTask? overall;
        private ProgressTask? current;
        private int total;
        private int done;

        public void Planned(IReadOnlyList<PlannedRun> runs)
        {
            total = runs.Count;
            overall = context.AddTask($"all runs (0/{total})", maxValue: Math.Max(1, runs.Sum(r => r.Epochs)));
        }

        public void Starting(PlannedRun run) => current = context.AddTask(Markup.Escape(run.Label), maxValue: run.Epochs);

        public void Epoch(PlannedRun run, EpochMetrics metrics)
        {
            overall?.Increment(1);
            if (current is not null)
            {
                current.Increment(1);
                current.Description = Markup.Escape(ConsoleProgress.Epoch(run, metrics));
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

            if (current is not null)
            {
                current.Value = current.MaxValue;
                current.StopTask();
                current = null;
            }

            console.MarkupLine(Markup.Escape(Describe(run, result, reused)));
        }

        public void Warning(string message) => console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");
    }
}
