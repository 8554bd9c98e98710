using System.CommandLine;
using Lottery.Examples.Experiments;
using Lottery.Results;
using Spectre.Console;

namespace Lottery.Examples.Commands;

/// <summary>Lists the declared experiments and the comparisons saved under the results folder.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output();
        var command = new Command("list", "Lists the experiments declared with [Experiment] (run them with `experiment <name>`) and the comparisons saved under --out (show them again with `report <name>`).")
        {
            output,
        };
        command.SetAction(parse =>
        {
            var experiments = new Table { Title = new TableTitle("Declared experiments"), Border = TableBorder.Rounded };
            experiments.AddColumns("name", "data set", "epochs", "seeds", "arms");
            foreach (var (key, definition) in ReferenceExperiments.All)
            {
                experiments.AddRow(key, definition.DataSet, $"{definition.Training.Epochs}", string.Join(" ", definition.Seeds), Markup.Escape(string.Join(", ", definition.Arms.Select(a => a.Name))));
            }

            AnsiConsole.Write(experiments);
            var root = Path.GetFullPath(parse.GetValue(output)!);
            var saved = Directory.Exists(root)
                ? Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, ComparisonRecord.FileName))).Order(StringComparer.Ordinal).ToList()
                : [];
            if (saved.Count == 0)
            {
                AnsiConsole.MarkupLineInterpolated($"No comparisons saved under {root} yet; `lottery compare` runs one.");
                return 0;
            }

            var comparisons = new Table { Title = new TableTitle($"Comparisons under {Markup.Escape(root)}"), Border = TableBorder.Rounded };
            comparisons.AddColumns("name", "report written");
            foreach (var folder in saved)
            {
                var summary = Path.Combine(folder, "summary.csv");
                comparisons.AddRow(Markup.Escape(Path.GetFileName(folder)), File.Exists(summary) ? File.GetLastWriteTimeUtc(summary).ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "not yet (unfinished)");
            }

            AnsiConsole.Write(comparisons);
            return 0;
        });
        return command;
    }
}
