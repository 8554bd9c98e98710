using Lottery;
using Lottery.Data;
using Lottery.Groups;
using Lottery.Masks;
using Lottery.Native;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

// The package pins LibTorch's kernels before Main (the portable numerics profile): LibTorch reports AVX2 wherever the CPU has it.
Console.WriteLine($"Numerics: {Numerics.Profile}, LibTorch's {Numerics.CpuCapability} kernels, MKL_CBWR={Numerics.NativeVariable("MKL_CBWR")}, ONEDNN_MAX_CPU_ISA={Numerics.NativeVariable("ONEDNN_MAX_CPU_ISA")}.");
if (Numerics.PortableSupported && (Numerics.CpuCapability != "AVX2" || Numerics.NativeVariable("MKL_CBWR") != "AVX2" || Numerics.NativeVariable("ONEDNN_MAX_CPU_ISA") != "AVX2"))
{
    Console.Error.WriteLine("The portable numerics profile did not reach LibTorch in a program built from the package.");
    return 1;
}

// Train and prune a model declared with Lottery's attributes, save the pruned model and load it in "application code".
using var data = DataSets.Load(DataSets.MnistDigits);
using var split = DataSplit.HoldOutValidation(data, 500, seed: 1);
using var run = Mlp.CreateRun(new TrainingSettings { Epochs = 3, Seed = 1 });
var result = run.Execute(split);
Console.WriteLine($"Trained {result.EpochsTrained} epochs: {run.WeightsRemaining:P1} of the weights remain, test accuracy {result.Final.FinalTest.Accuracy:P2}.");

var pruned = Path.Combine(Path.GetTempPath(), $"consumer-pruned-{Environment.ProcessId}.lts");
var trained = (Mlp)run.Model;
trained.SavePrunedModel(pruned);
using var app = new Mlp();
app.LoadPrunedModel(pruned);
File.Delete(pruned);
Console.WriteLine($"Loaded the pruned model: hidden layer {app.HiddenSparsity:P1} sparse, output layer {app.OutputSparsity:P1} sparse.");

var expected = Math.Pow(0.75, 3);
if (Math.Abs(app.HiddenMask.WeightsRemaining - expected) > 1e-3 || result.Final.FinalTest.Accuracy < 0.8)
{
    Console.Error.WriteLine($"Unexpected result: hidden layer keeps {app.HiddenMask.WeightsRemaining:P2}, expected {expected:P2}; accuracy {result.Final.FinalTest.Accuracy:P2}.");
    return 1;
}

// A model built from blocks, declared in the block's class only: from the package, the model masks every block's layers
// under their names in the model, and a pruned file keeps them all.
using var blocks = new Residual();
var blockMasks = blocks.AttachMasks();
var names = string.Join(", ", blockMasks.Weights.Select(w => w.Name));
if (names != "stem.weight, head.weight, body.0.inner.weight, body.1.inner.weight")
{
    Console.Error.WriteLine($"The model built from blocks masks {names}; expected stem.weight, head.weight, body.0.inner.weight, body.1.inner.weight.");
    return 1;
}

Console.WriteLine($"A model built from blocks masks {names}.");

// Its dependency groups from the package: the stem's units, the two blocks' units and the head's inputs share the residual
// stream, so a pruning event by groups takes whole features of the stream (a quarter of 16), each from every layer that
// touches it. (Without the stem, the stream would be the model's input, which no group cuts.)
using var example = randn(1, 16);
var groups = DependencyGroups.Of(blocks, example);
blockMasks.UseGroups(groups);
using var random = new Generator(1UL);
Pruner.Prune(blockMasks, PruningAmount.ByRate(0.25), PruningScope.Layerwise, Lottery.Criteria.PruningCriteria.Magnitude, random);
var stream = groups.Groups.SingleOrDefault(g => g.Layers.Contains("body.0.inner"));
if (stream is null || !stream.Layers.SequenceEqual(["stem", "body.0.inner", "body.1.inner"]) || blockMasks.KeptUnits(stream) != 12)
{
    Console.Error.WriteLine(stream is null
        ? "The residual stream has no dependency group; expected stem + body.0.inner + body.1.inner."
        : $"The residual stream's group is {string.Join(" + ", stream.Layers)} with {blockMasks.KeptUnits(stream)} of {stream.Units.Count} units kept; expected stem + body.0.inner + body.1.inner with 12 of 16.");
    return 1;
}

Console.Write($"Pruned by dependency groups: {blockMasks.DescribeGroups()}");
return 0;

/// <summary>A residual block whose one Linear layer is declared here, once.</summary>
internal sealed partial class Block : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear inner = nn.Linear(16, 16);

    public Block()
        : base(nameof(Block)) => RegisterComponents();

    public override Tensor forward(Tensor input) => input + inner.call(input);
}

/// <summary>A stem, two blocks in a Sequential and a head: the blocks declare their own layers.</summary>
[PruneSchedule(ScheduleKind.Iterative, Rounds = 2)]
internal sealed partial class Residual : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear stem = nn.Linear(16, 16);

    private readonly Sequential body = nn.Sequential(new Block(), new Block());

    [Prunable]
    private readonly Linear head = nn.Linear(16, 4);

    public Residual()
        : base(nameof(Residual)) => RegisterComponents();

    public override Tensor forward(Tensor input) => head.call(body.call(stem.call(input)));
}

/// <summary>A two-layer network pruned 25% after each epoch, the output layer at 10%.</summary>
[PruneSchedule(ScheduleKind.EveryEpoch, Rate = 0.25, TargetRemaining = 0.2)]
internal sealed partial class Mlp : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear hidden;

    [Prunable(0.1)]
    private readonly Linear output;

    public Mlp()
        : base(nameof(Mlp))
    {
        hidden = nn.Linear(784, 128);
        output = nn.Linear(128, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return output.forward(nn.functional.relu(hidden.forward(input.flatten(1)))).MoveToOuterDisposeScope();
    }
}
