using Lottery.Data;

namespace Lottery.Examples.Data;

/// <summary>
/// The handwritten-digit block counts shipped with the examples as a CSV (<c>Data/optdigits.csv.gz</c> next to the
/// program; origin and licence in <c>Data/README.md</c>): 1,797 rows of 64 features (0..16) and a <c>digit</c> label,
/// 10 balanced classes. A fifth of each class is held out as the test set and the features are standardised, as
/// <see cref="CsvDataSource"/> does by default.
/// </summary>
public sealed class OptDigitsData : CsvDataSource
{
    /// <summary>The file's name in the program's <c>Data</c> folder.</summary>
    public const string FileName = "optdigits.csv.gz";

    /// <summary>The number of feature columns, which is also <see cref="Models.TabularMlp"/>'s input width.</summary>
    public const int FeatureCount = 64;

    /// <summary>The number of classes (the digits 0 to 9).</summary>
    public const int ClassCount = 10;

    /// <summary>Reads the copy next to the program (<see cref="AppContext.BaseDirectory"/>), however it was started.</summary>
    public OptDigitsData()
        : base(Path.Combine(AppContext.BaseDirectory, "Data", FileName), "digit")
    {
    }
}
