using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Schedules;

namespace Lottery.Tests.Schedules;

public class ScheduleTests
{
    [Fact]
    public void Iterative_prunes_after_each_round_until_its_rounds_or_target_run_out()
    {
        var byRounds = new IterativeSchedule(0.2, rounds: 2);
        Assert.Equal(new PruningAmount(0.2, 0, ExactTarget: false), byRounds.AfterRound(new(0, 5, 5, 1.0)));
        Assert.Equal(new PruningAmount(0.2, 0, ExactTarget: false), byRounds.AfterRound(new(1, 5, 5, 0.8)));
        Assert.Null(byRounds.AfterRound(new(2, 5, 5, 0.64)));
        Assert.Null(byRounds.AfterEpoch(new(0, 1, 5, 1.0)));

        var byTarget = new IterativeSchedule(0.2, targetRemaining: 0.5);
        Assert.Equal(0.5, byTarget.AfterRound(new(3, 5, 5, 0.512))!.Value.TargetRemaining);
        Assert.Null(byTarget.AfterRound(new(4, 5, 5, 0.5)));
    }

    [Fact]
    public void EveryEpoch_prunes_from_its_start_epoch_to_its_end_epoch()
    {
        var schedule = new EveryEpochSchedule(0.2, 0.1, startEpoch: 2, endEpoch: 3);
        Assert.Null(schedule.AfterEpoch(new(0, 1, 5, 1.0)));
        Assert.Equal(new PruningAmount(0.2, 0.1, ExactTarget: false), schedule.AfterEpoch(new(0, 2, 5, 1.0)));
        Assert.Equal(new PruningAmount(0.2, 0.1, ExactTarget: false), schedule.AfterEpoch(new(0, 3, 5, 0.8)));
        Assert.Null(schedule.AfterEpoch(new(0, 4, 5, 0.64)));
        Assert.Equal(0.64, schedule.ExpectedWeightsRemaining(5), 12);
        Assert.Equal(Math.Pow(0.8, 5), new EveryEpochSchedule(0.2, 0.05).ExpectedWeightsRemaining(5), 12);
    }

    [Fact]
    public void Gradual_follows_the_Zhu_and_Gupta_cubic()
    {
        var schedule = new GradualSchedule(targetRemaining: 0.2, startEpoch: 2, endEpoch: 6, initialSparsity: 0.1);
        Assert.Equal(1.0, schedule.WeightsRemainingAfter(1));
        Assert.Equal(0.9, schedule.WeightsRemainingAfter(2), 12);
        var t = 2.0 / 4;
        Assert.Equal(1 - (0.8 + ((0.1 - 0.8) * Math.Pow(1 - t, 3))), schedule.WeightsRemainingAfter(4), 12);
        Assert.Equal(0.2, schedule.WeightsRemainingAfter(6), 12);
        Assert.Equal(0.2, schedule.WeightsRemainingAfter(9), 12);
    }

    [Fact]
    public void OneShot_prunes_once_after_the_given_epoch_or_after_the_first_round()
    {
        var inRun = new OneShotSchedule(0.3, afterEpoch: 2);
        Assert.Null(inRun.AfterEpoch(new(0, 1, 4, 1.0)));
        Assert.True(inRun.AfterEpoch(new(0, 2, 4, 1.0))!.Value.ExactTarget);
        Assert.Null(inRun.AfterRound(new(0, 4, 4, 0.3)));

        var betweenRounds = new OneShotSchedule(0.3);
        Assert.Null(betweenRounds.AfterEpoch(new(0, 2, 4, 1.0)));
        Assert.Equal(new PruningAmount(0.2, 0.3, ExactTarget: true), betweenRounds.AfterRound(new(0, 4, 4, 1.0)));
        Assert.Null(betweenRounds.AfterRound(new(1, 4, 4, 0.3)));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.2)]
    [InlineData(double.NaN)]
    public void A_rate_outside_0_to_1_is_refused_with_the_parameter_named(double rate)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EveryEpochSchedule(rate, 0.1));
        Assert.Equal("rate", error.ParamName);
    }

    [Fact]
    public void Invalid_schedule_settings_are_refused_with_the_parameter_named()
    {
        Assert.Equal("targetRemaining", Assert.Throws<ArgumentOutOfRangeException>(() => new EveryEpochSchedule(0.2, 0)).ParamName);
        Assert.Equal("targetRemaining", Assert.Throws<ArgumentOutOfRangeException>(() => new EveryEpochSchedule(0.2, 1.5)).ParamName);
        Assert.Equal("startEpoch", Assert.Throws<ArgumentOutOfRangeException>(() => new EveryEpochSchedule(0.2, 0.1, startEpoch: 0)).ParamName);
        Assert.Equal("startEpoch", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSchedule(0.1, startEpoch: 5, endEpoch: 3)).ParamName);
        Assert.Equal("rounds", Assert.Throws<ArgumentOutOfRangeException>(() => new IterativeSchedule(0.2, rounds: 0)).ParamName);
        Assert.Equal("rounds", Assert.Throws<ArgumentException>(() => new IterativeSchedule(0.2)).ParamName);
        Assert.Equal("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => Rewind.ToEpoch(-1)).ParamName);
    }

    [Fact]
    public void Criteria_are_found_by_name_and_unknown_names_list_the_known_ones()
    {
        Assert.Same(PruningCriteria.LeastChange, PruningCriteria.FromName("leastchange"));
        var error = Assert.Throws<ArgumentException>(() => PruningCriteria.FromName("Biggest"));
        Assert.Contains("Magnitude, LeastChange, MagnitudeIncrease, Random", error.Message);
    }
}
