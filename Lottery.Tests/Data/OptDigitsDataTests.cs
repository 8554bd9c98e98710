using Lottery.Data;
using Lottery.Examples.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Training;
using Xunit.Abstractions;

namespace Lottery.Tests.Data;

/// <summary>The shipped tabular data set, read through its data-source class and trained on with the tabular MLP.</summary>
public class OptDigitsDataTests(ITestOutputHelper output)
{
    [Fact]
    public void The_shipped_file_is_found_next_to_the_program_and_split_a_fifth_of_each_class_for_testing()
    {
        using var data = new OptDigitsData().Load();

        // Rows per digit 0..9 (Data/README.md): 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 = 1,797.
        // A fifth, rounded: 36 + 36 + 35 + 37 + 36 + 36 + 36 + 36 + 35 + 36 = 359 test rows.
        Assert.Equal("optdigits", data.Name);
        Assert.Equal(359, data.Test.Count);
        Assert.Equal(1797 - 359, data.Train.Count);
        Assert.Equal(new long[] { 1797 - 359, OptDigitsData.FeatureCount }, data.Train.Inputs.shape);
        Assert.Equal(OptDigitsData.ClassCount, data.Train.ClassCount);
        Assert.Equal(new long[] { 36, 36, 35, 37, 36, 36, 36, 36, 35, 36 }, data.Test.Labels.bincount(null).data<long>().ToArray());
    }

    [Fact]
    public void A_dense_tabular_MLP_trained_for_three_epochs_classifies_the_digits_far_above_chance()
    {
        using var all = new OptDigitsData().Load();
        using var split = DataSplit.HoldOutValidation(all, validationCount: 150, seed: 1);
        var training = new TrainingSettings { Epochs = 3, Seed = 1 };

        using var run = TabularMlp.CreateRun(training, PruningMethod.Dense);
        var result = run.Execute(split);

        // The best constant answer is the largest test class, 37 of 359 rows: 0.103. A guesser's accuracy over 359
        // rows has a standard deviation of at most sqrt(0.25 / 359) = 0.026, so 0.5 is more than 15 of them above it.
        var accuracy = result.Final.FinalTest.Accuracy;
        output.WriteLine($"dense test accuracy after {training.Epochs} epochs: {accuracy:F4}");
        Assert.True(accuracy > 0.5, $"dense test accuracy {accuracy:F3}");
        Assert.Equal(1.0, run.WeightsRemaining);
    }
}
