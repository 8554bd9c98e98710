using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Results;
using Lottery.Training;

namespace Lottery.Tests.Experiments;

/// <summary>Planning a comparison: run identities, matched points, and settings that cannot work.</summary>
public sealed class ComparisonPlanTests
{
    private static ComparisonSettings Settings => new()
    {
        Name = "plan",
        Model = nameof(TwoLayerNet),
        CreateModel = () => new TwoLayerNet(784, 300, 10),
        Training = new TrainingSettings { Epochs = 15 },
        Seeds = [1, 2],
    };

    [Fact]
    public void Every_method_runs_for_every_seed_with_the_control_right_after_the_imp_run_it_needs()
    {
        var plan = Comparison.Plan(Settings);

        // Per seed: dense, IMP, 3 controls, and 5 one-run methods at 3 points.
        Assert.Equal(2 * (1 + 1 + 3 + (5 * 3)), plan.Count);
        var seed1 = plan.Where(p => p.Spec.Training.Seed == 1).ToList();
        var imp = seed1.Single(p => p.Spec.Method == ComparisonMethod.Imp);
        Assert.Equal(15 * 13, imp.Epochs);
        var controls = seed1.Where(p => p.Spec.Method == ComparisonMethod.ImpRandomReinit).ToList();
        Assert.All(controls, c => Assert.Equal(imp.Spec.Id, c.Spec.MaskFrom));
        Assert.All(controls, c => Assert.True(seed1.IndexOf(c) > seed1.IndexOf(imp)));
        Assert.All(controls, c => Assert.Equal(1 + Comparison.ReinitSeedOffset, c.Spec.InitSeed));
        Assert.Equal(plan.Count, plan.Select(p => p.Spec.Id).Distinct().Count());
    }

    [Fact]
    public void Matched_points_are_the_weights_remaining_imp_reaches_counted_layer_by_layer()
    {
        // 784x300 and 300x10 at 20%: after one round 188,160 + 2,400 of 238,200 remain.
        Assert.Equal((188_160 + 2_400) / 238_200.0, Comparison.ImpWeightsRemaining(Settings, 1), 12);
        var plan = Comparison.Plan(Settings);
        foreach (var round in Settings.MatchedRounds)
        {
            var targets = plan.Where(p => p.Spec.MatchedRound == round).Select(p => p.Spec.TargetRemaining).Distinct();
            Assert.Equal(Comparison.ImpWeightsRemaining(Settings, round), Assert.Single(targets));
        }

        Assert.Equal(0.8 * 0.8 * 0.8, Comparison.ImpWeightsRemaining(Settings, 3), 3);
    }

    [Fact]
    public void A_run_is_named_by_the_hash_of_all_its_settings()
    {
        var spec = Comparison.Plan(Settings)[0].Spec;
        Assert.Equal(spec.Id, (spec with { }).Id);
        Assert.Matches("^dense-s1-[0-9a-f]{16}$", spec.Id);
        Assert.NotEqual(spec.Id, (spec with { Training = spec.Training with { LearningRate = 1e-3 } }).Id);
        Assert.NotEqual(spec.Id, (spec with { ValidationCount = 999 }).Id);
        Assert.NotEqual(spec.Id, (spec with { DataSet = "fashion-mnist" }).Id);
        Assert.NotEqual(spec.Id, (spec with { Format = RunSpec.CurrentFormat + 1 }).Id);
    }

    [Theory]
    [InlineData(10, 3, new[] { 3, 7, 12 }, "--epochs: 10 epochs less 3 recovery epochs leave 7 epochs to prune after, but reaching IMP round 12's weights remaining at the same rate takes 12 pruning events; use --epochs 15 or more, fewer --recovery-epochs, or --points up to 7.")]
    [InlineData(15, 3, new[] { 3, 13 }, "--points: 3 13: every point is an IMP round from 1 to --rounds (12).")]
    [InlineData(15, 15, new[] { 3 }, "--recovery-epochs: 15 must be at least 0 and less than --epochs (15).")]
    [InlineData(15, 3, new[] { 3, 3 }, "--points: 3 3 repeats a round.")]
    public void Settings_that_do_not_fit_together_name_the_option_and_the_fix(int epochs, int recovery, int[] points, string message)
    {
        var settings = Settings with { Training = new TrainingSettings { Epochs = epochs }, RecoveryEpochs = recovery, MatchedRounds = points };
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => settings.Validate()).Message);
    }

    [Fact]
    public void An_unknown_data_set_is_refused_before_anything_is_written()
    {
        var settings = Settings with { DataSet = "cifar-10" };
        Assert.Equal("--data: 'cifar-10' is not a data set Lottery knows; use one of mnist-digits, fashion-mnist.", Assert.Throws<ArgumentException>(() => settings.Validate()).Message);
    }

    [Fact]
    public void The_control_needs_imp()
    {
        var settings = Settings with { Methods = [ComparisonMethod.Dense, ComparisonMethod.ImpRandomReinit] };
        Assert.Contains("ImpRandomReinit trains IMP's masks", Assert.Throws<ArgumentException>(() => settings.Validate()).Message, StringComparison.Ordinal);
    }
}
