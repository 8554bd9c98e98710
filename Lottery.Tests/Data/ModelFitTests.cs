using System.Globalization;
using System.Text;
using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Training;

namespace Lottery.Tests.Data;

/// <summary>
/// A CSV that does not fit the experiment's model (a feature column too few, a label past the model's outputs) stops
/// before anything trains, with one message naming the file, the columns or the label, and what to do; not with
/// LibTorch's "mat1 and mat2 shapes cannot be multiplied" or "Target 11 is out of bounds" in the first run.
/// </summary>
public sealed class ModelFitTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("lottery-fit-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_csv_with_a_feature_column_too_few_names_the_file_the_columns_and_the_model_s_input_before_training()
    {
        // Three feature columns; the model is built for four.
        var path = Table("three.csv", ["a", "b", "c"], label: row => row % 3);
        var output = Path.Combine(folder, "out");

        var error = Assert.Throws<DataSetException>(() => ExperimentRunner.Run(Experiment(path, features: 4, classes: 3), output));

        Assert.Equal(path, error.File);
        Assert.Equal(
            $"{path}: 3 feature columns (a, b, c), but model TabularMlp's first layer fc1 takes 4; give the data the 4 features the model was built for, or build the model for 3.",
            error.Message);
        AssertNothingTrained(output);
    }

    [Fact]
    public void A_label_past_the_model_s_outputs_names_the_file_the_column_and_the_label_before_training()
    {
        // Labels 0 to 3 (four classes, the hand count of the cycle below); the model has three outputs.
        var path = Table("four.csv", ["a", "b"], label: row => row % 4);
        var output = Path.Combine(folder, "out");

        var error = Assert.Throws<DataSetException>(() => ExperimentRunner.Run(Experiment(path, features: 2, classes: 3), output));

        Assert.Equal(path, error.File);
        Assert.Equal(
            $"{path}: column 'label' holds the label 3, but model TabularMlp has 3 outputs, for the classes 0 to 2; correct the label, or give the model 4 outputs, one per class.",
            error.Message);
        AssertNothingTrained(output);
    }

    [Fact]
    public void A_label_past_the_model_s_outputs_in_the_test_file_names_the_test_file()
    {
        var train = Table("train.csv", ["a", "b"], label: row => row % 3);
        var test = Table("test.csv", ["a", "b"], label: row => row == 5 ? 11 : row % 3);

        var error = Assert.Throws<DataSetException>(() => ExperimentRunner.CheckData(Experiment(train, features: 2, classes: 10, testFile: test)));

        Assert.Equal(test, error.File);
        Assert.Contains("column 'label' holds the label 11, but model TabularMlp has 10 outputs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_fits_passes_the_check()
    {
        var path = Table("fits.csv", ["a", "b", "c"], label: row => row % 3);

        ExperimentRunner.CheckData(Experiment(path, features: 3, classes: 3));
    }

    private static void AssertNothingTrained(string output)
    {
        var runs = Path.Combine(output, "runs");
        Assert.True(
            !Directory.Exists(runs) || Directory.GetFiles(runs, "*", SearchOption.AllDirectories).Length == 0,
            "nothing was trained or written before the check");
    }

    private static ExperimentDefinition Experiment(string path, int features, int classes, string? testFile = null) => new()
    {
        Name = "fit",
        CreateModel = () => new TabularMlp(features, classes),
        Data = new CsvDataSource(path, "label") { TestFilePath = testFile },
        Training = new TrainingSettings { Epochs = 1, BatchSize = 10 },
        Seeds = [1],
        ValidationCount = 4,
        Arms = [new MethodArm("Dense", PruningMethod.Dense)],
    };

    /// <summary>Writes 30 rows of the given feature columns (row-derived numbers) and a label column.</summary>
    private string Table(string name, string[] columns, Func<int, int> label)
    {
        var text = new StringBuilder(string.Join(',', [.. columns, "label"])).Append('\n');
        for (var row = 0; row < 30; row++)
        {
            text.AppendJoin(',', columns.Select((_, c) => ((row * 7) + (c * 3)) % 11)).Append(',').Append(label(row).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
