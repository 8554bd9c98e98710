using System.Security.Cryptography;
using System.Text;
using Lottery.Data;
using static TorchSharp.torch;

namespace Lottery.Examples.Data;

/// <summary>
/// 2,000 training images and 500 test images of the embedded MNIST digits, drawn at random once (a fixed seed; the
/// embedded sets are ordered by class): small enough for a model built from blocks to run a whole experiment in seconds,
/// as the tests do.
/// </summary>
public sealed class DigitsSubset : IDataSource
{
    /// <summary>The number of training images kept (validation is held out of them).</summary>
    public const int TrainingImages = 2_000;

    /// <summary>The number of test images kept.</summary>
    public const int TestImages = 500;

    private readonly BuiltInDataSource full = new(DataSets.MnistDigits);

    /// <inheritdoc/>
    public string Name => $"mnist-digits-random-{TrainingImages}-{TestImages}";

    /// <inheritdoc/>
    public string ContentHash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{full.ContentHash()}|{Name}")));

    /// <inheritdoc/>
    public TrainTestData Load()
    {
        using var all = full.Load();
        using var generator = new Generator(20_261_207);
        using var train = randperm(all.Train.Count, generator: generator).narrow(0, 0, TrainingImages);
        using var test = randperm(all.Test.Count, generator: generator).narrow(0, 0, TestImages);
        return new TrainTestData(Name, all.Train.Subset(train, "train"), all.Test.Subset(test, "test"));
    }
}
