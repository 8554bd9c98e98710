using System.Globalization;
using System.Text;
using ScottPlot;

namespace Lottery.Reporting;

/// <summary>One model variant at one point of an experiment, as the inference benchmark measured it.</summary>
/// <param name="Arm">The arm the model comes from (the dense reference: its name, at 100%).</param>
/// <param name="Point">The point (IMP round, or matched round).</param>
/// <param name="WeightsRemainingPercent">Prunable weights remaining, in percent.</param>
/// <param name="Variant">The form of the model measured (its name in the files: <see cref="InferenceVariants.Name"/>).</param>
/// <param name="FileBytes">The size of the file this variant is stored in.</param>
/// <param name="Parameters">Parameters the variant stores (non-zero ones for masked and sparse).</param>
/// <param name="LatencyMicroseconds">Median microseconds of one batch-1 forward call.</param>
/// <param name="SamplesPerSecond">Median samples per second at batch 256.</param>
/// <param name="TestAccuracy">Test accuracy of this variant.</param>
/// <param name="Engine">What ran it: <see cref="InferenceEngines.TorchSharp"/>, or <see cref="InferenceEngines.OnnxRuntime"/> on the variant's ONNX file.</param>
/// <param name="SamePredictions">For another engine than TorchSharp: the test samples it classifies as TorchSharp classifies them with the same variant (of <paramref name="TestSamples"/>).</param>
/// <param name="TestSamples">The test samples measured.</param>
public sealed record InferenceRow(
    string Arm,
    int Point,
    double WeightsRemainingPercent,
    InferenceVariant Variant,
    long FileBytes,
    long Parameters,
    double LatencyMicroseconds,
    double SamplesPerSecond,
    double TestAccuracy,
    string Engine = InferenceEngines.TorchSharp,
    long? SamePredictions = null,
    long TestSamples = 0);

/// <summary>The engines the inference benchmark names.</summary>
public static class InferenceEngines
{
    /// <summary>TorchSharp (LibTorch), as trained, or Lottery's sparse kernels.</summary>
    public const string TorchSharp = "TorchSharp";

    /// <summary>ONNX Runtime on the exported ONNX file, without TorchSharp.</summary>
    public const string OnnxRuntime = "ONNX Runtime";
}

/// <summary>Writes the inference benchmark's figures: <c>inference.csv</c>, <c>inference.md</c> and two charts (size and speed against accuracy).</summary>
public static class InferenceReport
{
    /// <summary>The CSV, one line per row; speed-ups against the first dense row.</summary>
    public static string Csv(IReadOnlyList<InferenceRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var dense = Dense(rows);
        var csv = new StringBuilder("arm,point,weights_remaining_pct,variant,engine,file_bytes,parameters,latency_us_batch1,samples_per_s_batch256,test_accuracy,latency_speedup,throughput_speedup,file_fraction,same_predictions_as_torchsharp\n");
        foreach (var r in rows)
        {
            csv.AppendLine(string.Join(',',
                r.Arm,
                r.Point.ToString(CultureInfo.InvariantCulture),
                r.WeightsRemainingPercent.ToString("0.##", CultureInfo.InvariantCulture),
                r.Variant.Name(),
                r.Engine,
                r.FileBytes.ToString(CultureInfo.InvariantCulture),
                r.Parameters.ToString(CultureInfo.InvariantCulture),
                r.LatencyMicroseconds.ToString("0.0", CultureInfo.InvariantCulture),
                r.SamplesPerSecond.ToString("0", CultureInfo.InvariantCulture),
                r.TestAccuracy.ToString("0.####", CultureInfo.InvariantCulture),
                (dense.LatencyMicroseconds / r.LatencyMicroseconds).ToString("0.00", CultureInfo.InvariantCulture),
                (r.SamplesPerSecond / dense.SamplesPerSecond).ToString("0.00", CultureInfo.InvariantCulture),
                ((double)r.FileBytes / dense.FileBytes).ToString("0.####", CultureInfo.InvariantCulture),
                r.SamePredictions?.ToString(CultureInfo.InvariantCulture) ?? string.Empty));
        }

        return csv.ToString();
    }

    /// <summary>A Markdown table of the rows with speed-ups and file fractions against the dense row.</summary>
    public static string Markdown(string title, IReadOnlyList<InferenceRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var dense = Dense(rows);
        var text = new StringBuilder($"# {title}\n\n");
        text.AppendLine("| arm | point | weights remaining | variant | engine | file | parameters | batch-1 latency | batch-256 throughput | test accuracy | predictions as TorchSharp's |");
        text.AppendLine("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Arm} | {r.Point} | {r.WeightsRemainingPercent:0.#}% | {r.Variant.Name()} | {r.Engine} | {r.FileBytes / 1024.0:N0} kB ({100.0 * r.FileBytes / dense.FileBytes:0.#}%) | {r.Parameters:N0} | {r.LatencyMicroseconds:0.0} µs ({dense.LatencyMicroseconds / r.LatencyMicroseconds:0.00}x) | {r.SamplesPerSecond:N0}/s ({r.SamplesPerSecond / dense.SamplesPerSecond:0.00}x) | {r.TestAccuracy * 100:0.00}% | {Agreement(r)} |"));
        }

        return text.ToString();
    }

    /// <summary>Writes <c>inference.csv</c>, <c>inference.md</c>, <c>inference-speed.png</c> and <c>inference-size.png</c> to <paramref name="folder"/>.</summary>
    public static void Write(string folder, string title, IReadOnlyList<InferenceRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteText(Path.Combine(folder, "inference.csv"), Csv(rows));
        AtomicFile.WriteText(Path.Combine(folder, "inference.md"), Markdown(title, rows));
        Chart(rows, $"{title}: batch-1 latency against test accuracy", "Batch-1 latency (µs), log scale", r => r.LatencyMicroseconds, Path.Combine(folder, "inference-speed.png"));
        Chart(rows, $"{title}: file size against test accuracy", "File size (kB), log scale", r => r.FileBytes / 1024.0, Path.Combine(folder, "inference-size.png"));
    }

    /// <summary>How many test samples another engine classifies as TorchSharp does: "" for TorchSharp's own rows.</summary>
    public static string Agreement(InferenceRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.SamePredictions is not { } same ? string.Empty
            : same == row.TestSamples ? string.Create(CultureInfo.InvariantCulture, $"all {row.TestSamples:N0}")
            : string.Create(CultureInfo.InvariantCulture, $"{same:N0} of {row.TestSamples:N0}");
    }

    /// <summary>The rows' reference: the dense model in TorchSharp.</summary>
    private static InferenceRow Dense(IReadOnlyList<InferenceRow> rows) =>
        rows.FirstOrDefault(r => r.Variant == InferenceVariant.Dense && r.Engine == InferenceEngines.TorchSharp) ?? throw new ArgumentException("The rows have no dense reference in TorchSharp.", nameof(rows));

    private static string Series(InferenceRow row) => row.Engine == InferenceEngines.TorchSharp ? row.Variant.Name() : $"{row.Variant.Name()}, {row.Engine}";

    private static void Chart(IReadOnlyList<InferenceRow> rows, string title, string xLabel, Func<InferenceRow, double> x, string path)
    {
        var plot = new Plot();
        var variants = rows.Select(Series).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (variant, index) in variants.Select((v, i) => (v, i)))
        {
            var points = rows.Where(r => Series(r) == variant).ToList();
            var scatter = plot.Add.ScatterPoints(points.Select(r => Math.Log10(x(r))).ToArray(), points.Select(r => r.TestAccuracy * 100).ToArray(), palette.GetColor(index));
            scatter.LegendText = variant;
            scatter.MarkerSize = 9;
            foreach (var r in points)
            {
                var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{r.Arm} {r.WeightsRemainingPercent:0.#}%"), Math.Log10(x(r)), r.TestAccuracy * 100);
                label.LabelFontSize = 9;
                label.LabelFontColor = palette.GetColor(index);
            }
        }

        var ticks = rows.Select(x).Where(v => v > 0).ToList();
        var low = Math.Floor(Math.Log10(ticks.Min()));
        var high = Math.Ceiling(Math.Log10(ticks.Max()));
        var positions = new List<double>();
        var labels = new List<string>();
        for (var decade = low; decade <= high; decade++)
        {
            foreach (var step in new[] { 1, 2, 5 })
            {
                var value = step * Math.Pow(10, decade);
                positions.Add(Math.Log10(value));
                labels.Add(value.ToString("G4", CultureInfo.InvariantCulture));
            }
        }

        plot.Axes.Bottom.SetTicks(positions.ToArray(), labels.ToArray());
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("Test accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        AtomicFile.Write(path, temporary => File.WriteAllBytes(temporary, plot.GetImageBytes(1000, 650, ImageFormat.Png)));
    }
}
