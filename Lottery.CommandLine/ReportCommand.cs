using System.CommandLine;
using Lottery.Experiments;
using Lottery.Reporting;
using Lottery.Results;
using Spectre.Console;

namespace Lottery.CommandLine;

/// <summary>Renders an experiment's report again from its saved runs, without training.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var experimentOptions = new ExperimentOptions();
        var command = new Command("report", "Writes an experiment's summary.json, summary.csv, report.md and the charts again from its saved runs, and shows its tables; trains nothing. For a declared experiment it reads what has finished so far (a sweep under way included): give the same options as the run or sweep.");
        experimentOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var given = experimentOptions.Name(parse);
            var output = experimentOptions.Output(parse);
            var folder = Directory.Exists(given) && File.Exists(Path.Combine(given, ExperimentRecord.FileName)) ? given : Path.Combine(output, given);
            var saved = File.Exists(Path.Combine(folder, ExperimentRecord.FileName)) && !experimentOptions.HasOverrides(parse) ? ExperimentSummary.Load(folder) : null;
            ExperimentSummary summary;
            if (saved is { Record.Unfinished: 0 } || !experimentOptions.IsDeclared(parse))
            {
                // A finished experiment: re-rendered from its record, with the options it ran with.
                summary = saved ?? ExperimentSummary.Load(folder);
                summary.Write(folder);
            }
            else
            {
                // A declared experiment: whatever has finished in the run store, under way or not.
                var experiment = experimentOptions.Experiment(parse, checkDevice: false);
                summary = ExperimentRunner.Summarize(experiment, output, out UnfinishedRuns unfinished, line => AnsiConsole.Console.Profile.Out.Writer.WriteLine($"warning: {line}"));
                folder = Path.Combine(output, experiment.Name);
                if (unfinished.Count > 0)
                {
                    AnsiConsole.Console.Profile.Out.Writer.WriteLine(unfinished.Describe());
                }
            }

            Show(AnsiConsole.Console, summary, Path.GetFullPath(folder));
            return 0;
        });
        return command;
    }

    /// <summary>The report's tables on the console, then where its files are.</summary>
    public static void Show(IAnsiConsole console, ExperimentSummary summary, string folder)
    {
        foreach (var table in SummaryTables.Of(summary))
        {
            var shown = new Table { Title = new TableTitle(Markup.Escape(table.Title)), Border = TableBorder.Rounded };
            for (var i = 0; i < table.Headers.Count; i++)
            {
                shown.AddColumn(new TableColumn(Markup.Escape(table.Headers[i])) { Alignment = i == 0 ? Justify.Left : Justify.Right });
            }

            foreach (var row in table.Rows)
            {
                shown.AddRow(row.Select(Markup.Escape).ToArray());
            }

            console.WriteLine();
            console.Write(shown);
        }

        console.WriteLine();
        console.MarkupLineInterpolated($"Written to [bold]{folder}[/]: summary.json, summary.csv, comparisons.csv, report.md, accuracy-vs-weights.png, accuracy-vs-weights-early-stop.png, training-cost.png");
    }
}
