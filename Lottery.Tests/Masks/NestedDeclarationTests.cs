using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Masks;

/// <summary>A model with one [Prunable] layer of its own and one it leaves undeclared, which a user masks by hand.</summary>
internal sealed partial class HalfDeclared : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear fc1;

    private readonly Linear fc2;

    public HalfDeclared()
        : base(nameof(HalfDeclared))
    {
        fc1 = nn.Linear(6, 5);
        fc2 = nn.Linear(5, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(nn.functional.relu(fc1.forward(input))).MoveToOuterDisposeScope();
    }
}

/// <summary>A block whose only declared weight is a Parameter: a learned scale per feature, then a Linear layer.</summary>
internal sealed partial class ScaledBlock : nn.Module<Tensor, Tensor>
{
    [Prunable(0.5)]
    private readonly Parameter scale;

    private readonly Linear inner;

    public ScaledBlock()
        : base(nameof(ScaledBlock))
    {
        scale = nn.Parameter(ones(4, 4));
        inner = nn.Linear(4, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return inner.call(input.matmul(scale)).MoveToOuterDisposeScope();
    }
}

/// <summary>Two scaled blocks in a Sequential.</summary>
[PruneSchedule(ScheduleKind.Iterative, Rounds = 2)]
internal sealed partial class ScaledModel : nn.Module<Tensor, Tensor>
{
    private readonly Sequential blocks;

    public ScaledModel()
        : base(nameof(ScaledModel))
    {
        blocks = nn.Sequential(new ScaledBlock(), new ScaledBlock());
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => blocks.call(input);
}

/// <summary>[Prunable] inside blocks: declared once in the block class, masked in every model that holds blocks, under the state dictionary's names.</summary>
public class NestedDeclarationTests
{
    [Fact]
    public void The_small_ResNet_masks_exactly_its_declared_layers_nested_ones_included_with_the_counts_a_hand_count_gives()
    {
        using var model = new SmallResNet();
        var masks = model.AttachMasks();

        // Counted by hand from the constructors: out x in x kernel area; the first block keeps its width, so it has no projection.
        (string Name, long Count)[] expected =
        [
            ("stem.weight", 16 * 1 * 9), ("head.weight", 10 * 64),
            ("blocks.0.conv1.weight", 16 * 16 * 9), ("blocks.0.conv2.weight", 16 * 16 * 9),
            ("blocks.1.conv1.weight", 32 * 16 * 9), ("blocks.1.conv2.weight", 32 * 32 * 9), ("blocks.1.projection.weight", 32 * 16),
            ("blocks.2.conv1.weight", 64 * 32 * 9), ("blocks.2.conv2.weight", 64 * 64 * 9), ("blocks.2.projection.weight", 64 * 32),
        ];
        Assert.Equal(expected, masks.Weights.Select(w => (w.Name, w.Count)));
        Assert.Equal(expected.Sum(e => e.Count), masks.Count);
        Assert.Equal(0.1, masks["head.weight"].Rate);
        Assert.All(masks.Weights.Where(w => w.Name != "head.weight"), w => Assert.Null(w.Rate));

        // Each block is its own set of layers; a block's accessors find the masks its model attached.
        var first = (BasicBlock)model.named_modules().Single(m => m.name == "blocks.0").module;
        var second = (BasicBlock)model.named_modules().Single(m => m.name == "blocks.1").module;
        Assert.Same(masks["blocks.1.conv1.weight"], second.Conv1Mask);
        Assert.Same(masks["blocks.1.projection.weight"], second.ProjectionMask);
        Assert.Null(first.ProjectionMask);
        Assert.NotSame(first.Conv1Mask, second.Conv1Mask);
    }

    [Fact]
    public void A_run_of_the_small_ResNet_prunes_its_blocks_and_their_pruned_weights_stay_zero()
    {
        using var data = TestData.SmallDigits(train: 200, validation: 50, test: 50);
        using var run = SmallResNet.CreateRun(new TrainingSettings { Epochs = 2, Seed = 3, BatchSize = 50 }, SmallResNet.PruneSchedules.EveryEpochMagnitude);
        run.Execute(data);

        var masks = run.Masks!;
        foreach (var weight in masks.Weights)
        {
            // 20% per epoch after epochs 1 and 2: every layer, nested or not, keeps 64% of its weights (the head, at 10%, 81%).
            var kept = weight.Name == "head.weight" ? 0.81 : 0.64;
            Assert.Equal(kept, (double)weight.Remaining / weight.Count, 2);
            using var pruned = weight.Parameter.masked_select(weight.Mask.eq(0));
            Assert.Equal(0, pruned.count_nonzero().item<long>());
        }
    }

    [Fact]
    public void A_Parameter_declared_in_a_block_is_masked_in_every_block_under_its_state_dictionary_name_with_its_own_rate()
    {
        using var model = new ScaledModel();
        var masks = model.AttachMasks();
        Assert.Equal(["blocks.0.scale", "blocks.1.scale"], masks.Weights.Select(w => w.Name));
        Assert.All(masks.Weights, w => Assert.Equal(0.5, w.Rate));
        Assert.Contains("blocks.0.scale_mask", model.named_buffers().Select(b => b.name));
        var block = (ScaledBlock)model.named_modules().Single(m => m.name == "blocks.1").module;
        Assert.Same(masks["blocks.1.scale"], block.ScaleMask);
    }

    [Fact]
    public void A_pruned_model_with_masks_beyond_its_declarations_reads_back_with_every_mask()
    {
        var folder = Directory.CreateTempSubdirectory("lottery-nested-");
        try
        {
            var path = Path.Combine(folder.FullName, "half.pruned");
            var savedMasks = new Dictionary<string, float[]>();
            manual_seed(4);
            using (var saved = new HalfDeclared())
            {
                // By hand, every Linear: fc2 too, which the class does not declare.
                using var masks = MaskSet.Attach(saved, new MaskOptions());
                using var random = new Generator().manual_seed(1);
                Pruner.Prune(masks, new PruningAmount(0.5, 0.5, ExactTarget: true), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
                masks.ApplyToWeights();
                PrunedModel.Save(saved, masks, path);
                foreach (var weight in masks.Weights)
                {
                    savedMasks[weight.Name] = weight.Mask.data<float>().ToArray();
                }
            }

            using var loaded = new HalfDeclared();
            loaded.LoadPrunedModel(path);
            Assert.Equal(["fc1.weight", "fc2.weight"], loaded.Masks!.Weights.Select(w => w.Name).Order());
            foreach (var weight in loaded.Masks.Weights)
            {
                Assert.Equal(savedMasks[weight.Name], weight.Mask.data<float>().ToArray());
                Assert.Equal(savedMasks[weight.Name].Count(v => v == 1), weight.Remaining);
                Assert.True(weight.Remaining < weight.Count);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
