using Lottery.Criteria;
using Lottery.Examples.Models;
using Lottery.Masks;
using Lottery.Measures;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Tests.Measures;

/// <summary>Mask distance (Early-Bird) and overlap (Jaccard) against hand counts, and the distances a run records.</summary>
public sealed class MaskBitsTests
{
    [Fact]
    public void Distance_and_overlap_equal_hand_counts_on_fixed_masks()
    {
        // a: 1 1 0 0 | 1 0 ; b: 1 0 1 0 | 1 1 (two masks of two layers, 6 entries in all).
        using var a1 = tensor(new float[,] { { 1, 1 }, { 0, 0 } });
        using var a2 = tensor(new float[] { 1, 0 });
        using var b1 = tensor(new float[,] { { 1, 0 }, { 1, 0 } });
        using var b2 = tensor(new float[] { 1, 1 });
        var a = MaskBits.Of(new Dictionary<string, Tensor> { ["fc.weight"] = a1, ["out.weight"] = a2 });
        var b = MaskBits.Of(new Dictionary<string, Tensor> { ["out.weight"] = b2, ["fc.weight"] = b1 });

        // Differ at entries 2, 3 and 6: 3 of 6. Kept in both: entries 1 and 5; in either: 1, 2, 3, 5, 6.
        Assert.Equal(6, a.Count);
        Assert.Equal(3, a.Kept);
        Assert.Equal(3.0 / 6, a.Distance(b));
        Assert.Equal(2.0 / 5, a.Jaccard(b));
        Assert.Equal(0, a.Distance(a));
        Assert.Equal(1, a.Jaccard(a));

        var saved = MaskBits.Load(a.Save());
        Assert.Equal(0, saved.Distance(a));
        Assert.Equal(a.Layout, saved.Layout);

        using var other = tensor(new float[] { 1, 0, 1 });
        var c = MaskBits.Of(new Dictionary<string, Tensor> { ["fc.weight"] = a1, ["out.weight"] = other });
        Assert.Contains("only masks of one model compare", Assert.Throws<ArgumentException>(() => a.Distance(c)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Distances_span_many_words_and_count_every_entry()
    {
        // 200 entries (four 64-bit words): a keeps the first 100, b the even ones: they differ on 50 odd below 100 and 50 even above.
        using var first = arange(200).lt(100).to(ScalarType.Float32);
        using var second = arange(200).remainder(2).eq(0).to(ScalarType.Float32);
        var a = MaskBits.Of(new Dictionary<string, Tensor> { ["w"] = first });
        var b = MaskBits.Of(new Dictionary<string, Tensor> { ["w"] = second });
        Assert.Equal(100.0 / 200, a.Distance(b));
        Assert.Equal(50.0 / 150, a.Jaccard(b));
    }

    [Fact]
    public void Drawing_a_mask_leaves_the_model_and_its_masks_as_they_were_and_draws_the_same_again()
    {
        manual_seed(3);
        using var model = new LeNet300100();
        var masks = model.AttachMasks();
        using var generator = new Generator(9);
        Pruner.Prune(masks, PruningAmount.ByRate(0.2), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        using var before = WeightSnapshot.Take(model);
        var masksBefore = MaskBits.Of(masks.CopyMasks());

        var schedule = new EveryEpochSchedule(0.2, 0.1, 1, 10);
        var drawn = MaskDraw.Draw(model, masks, schedule, PruningScope.Layerwise, PruningCriteria.Random, seed: 1, round: 0, epoch: 1);

        // Drawn at 10%: it keeps a tenth of the weights, all of them among those the masks keep now.
        Assert.Equal(masks.Count / 10.0, drawn.Kept, 0.0015 * masks.Count);
        Assert.Equal(drawn.Kept, drawn.Jaccard(masksBefore) * masksBefore.Kept, 1e-6);
        Assert.Equal(0, MaskBits.Of(masks.CopyMasks()).Distance(masksBefore));
        foreach (var (name, value) in model.named_parameters())
        {
            Assert.True(value.eq(before[name]).all().item<bool>(), $"{name} changed");
        }

        // The same draw again gives the same mask: random scores come from numbers seeded by the run's seed, round and epoch.
        Assert.Equal(0, MaskDraw.Draw(model, masks, schedule, PruningScope.Layerwise, PruningCriteria.Random, 1, 0, 1).Distance(drawn));
        Assert.True(MaskDraw.Draw(model, masks, schedule, PruningScope.Layerwise, PruningCriteria.Random, 1, 0, 2).Distance(drawn) > 0, "another epoch draws other random numbers");
    }

    [Fact]
    public void A_run_records_the_distance_between_consecutive_drawn_masks_and_a_dense_run_none()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 100, test: 100);
        var training = new TrainingSettings { Epochs = 4, Seed = 5, BatchSize = 50 };
        using var pruned = new PruningRun(() => new LeNet300100(), training, new PruningSettings { Schedule = new EveryEpochSchedule(0.5, 0.25, 1, 2) });
        var result = pruned.Execute(data);
        var distances = result.Final.Epochs.Select(e => e.MaskDistance).ToList();
        Assert.All(distances, d => Assert.True(d is >= 0 and <= 1, $"{d}"));
        Assert.True(distances[0] > 0, "the first epoch moves the drawn mask away from the one drawn at initialisation");
        Assert.All(result.Final.Epochs, e => Assert.True(e.DrawnMaskOverlap is > 0 and <= 1, $"{e.DrawnMaskOverlap}"));

        // The two measures of the same pair of masks agree: kept counts k1 and k2 with j in common differ on k1 + k2 - 2j
        // entries; with both drawn at the target, k1 = k2 = k, so the distance is 2k(1 - J)/(1 + J) over all entries.
        var kept = 0.25 * 266_200;
        foreach (var e in result.Final.Epochs)
        {
            var j = e.DrawnMaskOverlap!.Value;
            Assert.Equal(2 * kept * (1 - j) / (1 + j) / 266_200, e.MaskDistance!.Value, 3);
        }

        using var dense = new PruningRun(() => new LeNet300100(), training, new PruningSettings());
        Assert.All(dense.Execute(data).Final.Epochs, e => Assert.Null(e.MaskDistance));
    }
}
