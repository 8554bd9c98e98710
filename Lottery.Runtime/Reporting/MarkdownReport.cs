using System.Globalization;
using System.Text;

namespace Lottery.Reporting;

/// <summary>The summary as <c>report.md</c>: what was run, then the tables.</summary>
public static class MarkdownReport
{
    /// <summary>The Markdown text.</summary>
    public static string Write(ExperimentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var record = summary.Record;
        var training = record.Training;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {record.Name}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{record.Model.Class} on {record.Data.Name} (content {record.Data.ContentHash[..12]}, {record.Data.ValidationCount} held out for validation); ");
        text.Append(CultureInfo.InvariantCulture, $"{training.Optimizer} lr {training.LearningRate}, batch {training.BatchSize}, {training.Epochs} epochs per training, loss {training.LossName}; seeds {string.Join(" ", record.Seeds)}.\n");
        foreach (var table in SummaryTables.Of(summary))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {table.Title}\n\n");
            text.Append("| ").Append(string.Join(" | ", table.Headers)).Append(" |\n");
            text.Append('|').Append(string.Join('|', table.Headers.Select(_ => "---"))).Append("|\n");
            foreach (var row in table.Rows)
            {
                text.Append("| ").Append(string.Join(" | ", row)).Append(" |\n");
            }
        }

        return text.ToString();
    }
}
