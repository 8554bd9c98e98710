using System.Globalization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Data;

/// <summary>
/// Checks that a data set fits a model before anything trains: the model takes one example, and it has an output for
/// every label. Without it a CSV with a column too few, or a label past the model's classes, fails deep in LibTorch
/// in the middle of the first run, with a message about matrix shapes or targets that names neither file nor column.
/// </summary>
public static class ModelFit
{
    /// <summary>Runs one training example through a fresh model (in evaluation mode, without gradients) and compares its outputs with the labels.</summary>
    /// <param name="createModel">Creates the model, as a run does.</param>
    /// <param name="source">Where the data came from: a <see cref="CsvDataSource"/>'s messages name its file and columns.</param>
    /// <param name="data">The loaded data.</param>
    /// <exception cref="DataSetException">The model cannot take an example, or a label is past its outputs; the message says which file, column or label, and what to do.</exception>
    public static void Check(Func<nn.Module<Tensor, Tensor>> createModel, IDataSource source, TrainTestData data)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Train.Count == 0)
        {
            return;
        }

        using var scope = NewDisposeScope();
        using var model = createModel();
        var name = model.GetType().Name;
        long outputs;
        using (no_grad())
        {
            model.eval();
            Tensor output;
            try
            {
                output = model.forward(data.Train.Inputs.narrow(0, 0, 1));
            }
            catch (Exception error) when (error is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
            {
                throw new DataSetException(Where(source, data), DoesNotTake(model, name, source, data), error);
            }

            if (output.dim() != 2)
            {
                return; // Not one score per class: nothing to compare the labels with.
            }

            outputs = output.shape[1];
        }

        foreach (var (part, file) in new[] { (data.Train, source is CsvDataSource csv ? csv.FilePath : null), (data.Test, source is CsvDataSource { } test ? test.TestFilePath ?? test.FilePath : null) })
        {
            if (part.Count == 0)
            {
                continue;
            }

            var largest = part.Labels.max().item<long>();
            if (largest < outputs)
            {
                continue;
            }

            var label = source is CsvDataSource table ? $"column '{table.LabelColumn}' holds the label {Label(table, largest)}" : $"it holds the label {largest}";
            throw new DataSetException(
                file ?? part.Name,
                string.Create(CultureInfo.InvariantCulture, $"{label}, but model {name} has {outputs} outputs, for the classes 0 to {outputs - 1}; correct the label, or give the model {largest + 1} outputs, one per class."));
        }
    }

    private static string Where(IDataSource source, TrainTestData data) => source is CsvDataSource csv ? csv.FilePath : data.Train.Name;

    private static string Label(CsvDataSource source, long index)
    {
        var text = source.ClassNames[(int)index];
        return text == index.ToString(CultureInfo.InvariantCulture)
            ? text
            : string.Create(CultureInfo.InvariantCulture, $"'{text}' (class {index}: text labels are numbered in sorted order)");
    }

    private static string DoesNotTake(nn.Module model, string name, IDataSource source, TrainTestData data)
    {
        var example = data.Train.Inputs.shape.Skip(1).ToArray();
        var first = model.named_modules().FirstOrDefault(m => m.module is Linear or Conv2d or Conv1d);
        if (example.Length == 1 && first.module is Linear linear && linear.in_features != example[0])
        {
            var columns = source is CsvDataSource csv ? $"{example[0]} feature columns ({Columns(csv.FeatureNames)})" : $"{example[0]} features an example";
            return string.Create(
                CultureInfo.InvariantCulture,
                $"{columns}, but model {name}'s first layer {first.name} takes {linear.in_features}; give the data the {linear.in_features} features the model was built for, or build the model for {example[0]}.");
        }

        var shape = string.Join(" x ", example);
        var takes = first.module switch
        {
            Linear l => string.Create(CultureInfo.InvariantCulture, $" (its first layer {first.name} takes {l.in_features} inputs)"),
            Conv2d c => string.Create(CultureInfo.InvariantCulture, $" (its first layer {first.name} takes {c.in_channels} channels)"),
            Conv1d c => string.Create(CultureInfo.InvariantCulture, $" (its first layer {first.name} takes {c.in_channels} channels)"),
            _ => string.Empty,
        };
        return $"model {name} cannot take its examples of shape {shape}{takes}; give the data the shape the model was built for, or build the model for this data.";
    }

    private static string Columns(IReadOnlyList<string> names) =>
        names.Count <= 4 ? string.Join(", ", names) : $"{names[0]}, {names[1]} ... {names[^1]}";
}
