using System.CommandLine;
using Lottery.Reporting;
using Lottery.Results;
using Spectre.Console;

namespace Lottery.Examples.Commands;

/// <summary>Renders an experiment's report again from its saved runs, without training.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("experiment") { Description = "The experiment's name (its folder under --out), or a path to its folder." };
        var output = CommonOptions.Output();
        var command = new Command("report", "Writes an experiment's summary.json, summary.csv, report.md and the charts again from its saved runs, and shows its tables; trains nothing.")
        {
            name, output,
        };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(name)!;
            var folder = Directory.Exists(given) && File.Exists(Path.Combine(given, ExperimentRecord.FileName)) ? given : Path.Combine(parse.GetValue(output)!, given);
            var summary = ExperimentSummary.Load(folder);
            summary.Write(folder);
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
        console.MarkupLineInterpolated($"Written to [bold]{folder}[/]: summary.json, summary.csv, report.md, accuracy-vs-weights.png, accuracy-vs-weights-early-stop.png, training-cost.png");
    }
}
