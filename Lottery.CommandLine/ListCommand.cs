using System.CommandLine;
using Lottery.Experiments;
using Lottery.Results;
using Spectre.Console;

namespace Lottery.CommandLine;

/// <summary>Lists the declared experiments and the experiments saved under the results folder.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output();
        var command = new Command("list", "Lists the experiments declared with [Experiment] (run them with `run <name>`) and the experiments saved under --out (show them again with `report <name>`).")
        {
            output,
        };
        command.SetAction(parse =>
        {
            var experiments = new Table { Title = new TableTitle("Declared experiments"), Border = TableBorder.Rounded };
            experiments.AddColumns("name", "data", "epochs", "seeds", "arms");
            foreach (var (key, definition) in Host.Experiments)
            {
                experiments.AddRow(Markup.Escape(key), Markup.Escape(definition.Data.Name), $"{definition.Training.Epochs}", string.Join(" ", definition.Seeds), Markup.Escape(string.Join(", ", definition.Arms.Select(a => a.Name))));
            }

            AnsiConsole.Write(experiments);
            var root = Path.GetFullPath(parse.GetValue(output)!);
            var saved = Directory.Exists(root)
                ? Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, ExperimentRecord.FileName))).Order(StringComparer.Ordinal).ToList()
                : [];
            if (saved.Count == 0)
            {
                AnsiConsole.MarkupLineInterpolated($"No experiments saved under {root} yet; `{HostProgram.Name} run <name>` runs one.");
                return 0;
            }

            var comparisons = new Table { Title = new TableTitle($"Experiments under {Markup.Escape(root)}"), Border = TableBorder.Rounded };
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
