using static TorchSharp.torch;

namespace Lottery.Data;

/// <summary>Training, validation and test sets for one run. Owns all three.</summary>
/// <param name="Train">What the model trains on.</param>
/// <param name="Validation">Held out of the training set; drives the early-stop figures. May be empty.</param>
/// <param name="Test">The test set, evaluated but never trained on.</param>
public sealed record DataSplit(TensorDataSet Train, TensorDataSet Validation, TensorDataSet Test) : IDisposable
{
    /// <summary>
    /// Holds <paramref name="validationCount"/> images out of <paramref name="data"/>'s training set, chosen by
    /// a permutation seeded with <paramref name="seed"/>, so the same seed always holds out the same images.
    /// </summary>
    public static DataSplit HoldOutValidation(TrainTestData data, int validationCount, long seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (validationCount < 0 || validationCount >= data.Train.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"The validation set must hold between 0 and {data.Train.Count - 1} of the {data.Train.Count} training images.");
        }

        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var order = randperm(data.Train.Count, generator: generator);
        var validation = data.Train.Subset(order.narrow(0, 0, validationCount), $"{data.Name}/validation");
        var train = data.Train.Subset(order.narrow(0, validationCount, data.Train.Count - validationCount), $"{data.Name}/train");
        var test = data.Test.Subset(arange(data.Test.Count), $"{data.Name}/test");
        return new DataSplit(train, validation, test);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
