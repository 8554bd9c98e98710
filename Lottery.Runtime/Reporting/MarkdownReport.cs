using System.Globalization;
using System.Text;

namespace Lottery.Reporting;

/// <summary>The summary as <c>report.md</c>: what was run, how to read the comparisons, then the tables.</summary>
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
        if (summary.Comparisons.Count > 0)
        {
            var margin = record.EquivalenceMargin.ToString("0.###", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"\nEach arm is compared with {record.ReferenceArm} seed by seed at each point (the runs of a seed share data order and initial weights). ");
            text.Append(CultureInfo.InvariantCulture, $"The equivalence margin, declared with the experiment before any run, is ±{margin} points of test accuracy. ");
            text.Append("*Equivalent*: the 90% interval of the difference lies within the margin (both one-sided tests p < 0.05); ");
            text.Append("*different*: the 95% interval excludes 0 (paired t-test p < 0.05), and *equivalent, yet lower/higher* when both hold; ");
            text.Append("*not shown equivalent*: neither, the seeds cannot tell, which is no evidence of a difference. Fewer than 2 seeds give no interval and no test.\n");
        }
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
