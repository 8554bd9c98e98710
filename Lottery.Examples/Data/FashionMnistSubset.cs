using System.Security.Cryptography;
using System.Text;
using Lottery.Data;
using static TorchSharp.torch;

namespace Lottery.Examples.Data;

/// <summary>
/// The first 12,000 training images of Fashion-MNIST with the whole 10,000-image test set: a stated subset that lets
/// Conv-2's structured comparison (three seeds, IMP and the one-run method) fit on two CPU cores.
/// </summary>
public sealed class FashionMnistSubset : IDataSource
{
    /// <summary>The number of training images kept.</summary>
    public const int TrainingImages = 12_000;

    private readonly BuiltInDataSource full = new(DataSets.FashionMnist);

    /// <inheritdoc/>
    public string Name => $"fashion-mnist-first-{TrainingImages}";

    /// <inheritdoc/>
    public string ContentHash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{full.ContentHash()}|{Name}")));

    /// <inheritdoc/>
    public TrainTestData Load()
    {
        using var all = full.Load();
        return new TrainTestData(Name, all.Train.Subset(arange(TrainingImages), "train"), all.Test.Subset(arange(all.Test.Count), "test"));
    }
}
