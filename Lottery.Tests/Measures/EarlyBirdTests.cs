using Lottery.Examples.Models;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Measures;

/// <summary>Early-Bird's stop: declared, validated, and triggered where the recorded mask distances say.</summary>
public sealed class EarlyBirdTests
{
    [Fact]
    public void The_stop_triggers_after_the_first_epochs_whose_recorded_distances_stay_below_the_threshold()
    {
        using var data = TestData.SmallDigits(train: 300, validation: 100, test: 100);
        var training = new TrainingSettings { Epochs = 6, Seed = 7, BatchSize = 50 };
        var stop = new EarlyBirdStop(Distance: 0.2, Epochs: 2);
        var method = new PruningMethod { Schedule = ScheduleKind.EveryEpoch, Rate = 0.1, TargetRemaining = 0.3, EarlyBird = stop };
        using var run = new PruningRun(() => new LeNet300100(), training, method.ToSettings());
        var round = run.Execute(data).Final;

        // Where the recorded distances say the stop falls: the first epoch ending two in a row below 0.2.
        var distances = round.Epochs.Select(e => e.MaskDistance!.Value).ToList();
        var expected = Enumerable.Range(2, distances.Count - 1).First(e => distances[e - 2] < 0.2 && distances[e - 1] < 0.2);
        Assert.True(expected < 6, $"the test needs the stop to fall before the last epoch; distances {string.Join(", ", distances)}");
        Assert.Equal(expected, round.EarlyBirdEpoch);

        // Until then the schedule pruned 10% an epoch; then one event took the model to the target, and none came after.
        Assert.Equal(expected, round.PruningEvents.Count);
        Assert.All(round.PruningEvents.Take(expected - 1), e => Assert.Equal(e.WeightsRemainingBefore * 0.9, e.WeightsRemainingAfter, 0.002));
        Assert.Equal(0.3, round.PruningEvents[^1].WeightsRemainingAfter, 1e-4);
        Assert.Equal(0.3, round.WeightsRemaining, 1e-4);
    }

    [Fact]
    public void The_summary_says_a_mask_settled_after_the_fifth_epoch_in_a_row_below_a_tenth()
    {
        // Below 0.1 at epochs 2-4, broken at 5, then below from 6: five in a row end at epoch 10.
        double?[] distances = [0.3, 0.09, 0.08, 0.05, 0.2, 0.05, 0.04, 0.03, 0.02, 0.01, 0.5];
        Assert.Equal(10, Reporting.ExperimentSummary.SettledEpoch(Round(distances)));
        Assert.Null(Reporting.ExperimentSummary.SettledEpoch(Round([0.05, 0.05, 0.05, 0.05, null, 0.05])));
        Assert.Null(Reporting.ExperimentSummary.SettledEpoch(Round([0.05, 0.05, 0.05, 0.05])));
    }

    private static RoundResult Round(double?[] distances) => new()
    {
        Round = 0,
        WeightsRemaining = 1,
        Epochs = distances.Select((d, i) => new EpochMetrics
        {
            Round = 0, Epoch = i + 1, Iteration = i + 1, TrainLoss = 0, Validation = Evaluation.None, Test = Evaluation.None,
            WeightsRemaining = 1, LearningRate = 0.1, TrainingSeconds = 0, MaskDistance = d,
        }).ToList(),
        FinalTest = Evaluation.None,
        FinalValidation = Evaluation.None,
        BestValidationAccuracy = 0,
        BestValidationAccuracyIteration = 0,
        BestValidationLoss = 0,
        BestValidationLossIteration = 0,
        TestAccuracyAtBestValidation = 0,
        PruningEvents = [],
        TrainingSeconds = 0,
    };

    [Fact]
    public void A_method_with_a_stop_checks_it_and_one_without_keeps_its_identity()
    {
        var plain = new PruningMethod { Schedule = ScheduleKind.EveryEpoch, TargetRemaining = 0.1 };
        Assert.DoesNotContain("EarlyBird", plain.ToJson(), StringComparison.Ordinal);
        var bird = plain with { EarlyBird = new EarlyBirdStop() };
        Assert.Equal(bird, PruningMethod.FromJson(bird.ToJson()));
        Assert.NotEqual(plain, bird);
        Assert.Contains("Early-Bird stop below 10% for 5 epochs", bird.ToString(), StringComparison.Ordinal);

        Assert.Contains("EarlyBird: Early-Bird stops a schedule that prunes during one run", Assert.Throws<ArgumentException>(() => (bird with { Schedule = ScheduleKind.Iterative, Rounds = 2 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("is not a fraction in (0, 1)", Assert.Throws<ArgumentException>(() => (plain with { EarlyBird = new EarlyBirdStop(1.5) }).Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_generator_writes_a_declared_stop_into_the_schedules_method()
    {
        var outcome = Run(Usings + """
            [PruneSchedule(ScheduleKind.EveryEpoch, Name = "Bird", Rate = 0.2, TargetRemaining = 0.1, EarlyBirdDistance = 0.05, EarlyBirdEpochs = 3)]
            [PruneSchedule(ScheduleKind.EveryEpoch, Name = "Plain", Rate = 0.2, TargetRemaining = 0.1)]
            public partial class M : nn.Module<Tensor, Tensor>
            {
                [Prunable] private Linear fc = nn.Linear(4, 2);
                public M() : base("M") { RegisterComponents(); }
                public override Tensor forward(Tensor input) => fc.call(input);
            }
            """);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilerDiagnostics);
        var source = string.Concat(outcome.Sources.Values);
        Assert.Contains("EarlyBird = new global::Lottery.Schedules.EarlyBirdStop(0.05, 3)", source, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(source, "EarlyBird = "));
    }
}
