using System.Security.Cryptography;
using System.Text;
using Lottery.Data;
using static TorchSharp.torch;

namespace Lottery.Examples.Data;

/// <summary>
/// The first 6,000 training images and the first 2,000 test images of Fashion-MNIST: a stated subset that lets Conv-2's
/// structured comparison (three seeds, IMP and the one-run method) fit on two CPU cores.
/// </summary>
public sealed class FashionMnistSubset : IDataSource
{
    /// <summary>The number of training images kept.</summary>
    public const int TrainingImages = 6_000;

    /// <summary>The number of test images kept.</summary>
    public const int TestImages = 2_000;

    private readonly BuiltInDataSource full = new(DataSets.FashionMnist);

    /// <inheritdoc/>
    public string Name => $"fashion-mnist-first-{TrainingImages}-{TestImages}";

    /// <inheritdoc/>
    public string ContentHash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{full.ContentHash()}|{Name}")));

    /// <inheritdoc/>
    public TrainTestData Load()
    {
        using var all = full.Load();
        return new TrainTestData(Name, all.Train.Subset(arange(TrainingImages), "train"), all.Test.Subset(arange(TestImages), "test"));
    }
}
