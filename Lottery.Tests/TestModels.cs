using Lottery.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests;

/// <summary>A small two-layer network whose weights tests set by hand.</summary>
internal sealed class TwoLayerNet : nn.Module<Tensor, Tensor>
{
    public TwoLayerNet(int inputs = 4, int hidden = 3, int outputs = 2)
        : base(nameof(TwoLayerNet))
    {
        first = nn.Linear(inputs, hidden);
        second = nn.Linear(hidden, outputs);
        RegisterComponents();
    }

    private readonly Linear first;
    private readonly Linear second;

    public Linear First => first;

    public Linear Second => second;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return second.forward(nn.functional.relu(first.forward(input.reshape(input.shape[0], -1)))).MoveToOuterDisposeScope();
    }

    public void SetWeights(float[,] firstWeights, float[,] secondWeights)
    {
        using var noGrad = no_grad();
        first.weight!.copy_(tensor(firstWeights));
        second.weight!.copy_(tensor(secondWeights));
    }
}

/// <summary>TwoLayerNet whose forward goes through <c>call</c>, so forward hooks run and its multiply-adds can be probed.</summary>
internal sealed class CallingTwoLayerNet : nn.Module<Tensor, Tensor>
{
    private readonly Linear first;
    private readonly Linear second;

    public CallingTwoLayerNet(int inputs, int hidden, int outputs)
        : base(nameof(CallingTwoLayerNet))
    {
        first = nn.Linear(inputs, hidden);
        second = nn.Linear(hidden, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return second.call(nn.functional.relu(first.call(input.reshape(input.shape[0], -1)))).MoveToOuterDisposeScope();
    }
}

internal static class TestData
{
    /// <summary>A small split of the embedded digits: quick to train, big enough to learn.</summary>
    public static DataSplit SmallDigits(int train = 1200, int validation = 200, int test = 500, long seed = 1)
    {
        using var all = DataSets.LoadEmbeddedMnistDigits();
        using var subset = new TrainTestData(
            all.Name,
            all.Train.Subset(arange(train + validation), "train"),
            all.Test.Subset(arange(test), "test"));
        return DataSplit.HoldOutValidation(subset, validation, seed);
    }

    public static float[] Values(Tensor t) => t.detach().cpu().to(ScalarType.Float32).reshape(-1).data<float>().ToArray();
}
