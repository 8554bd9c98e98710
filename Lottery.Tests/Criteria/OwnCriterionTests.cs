using Lottery.CommandLine;
using Lottery.Criteria;
using Lottery.Runs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Criteria;

/// <summary>
/// A criterion of a user's own, in one file: registered by name, named by a declaration, run in a declared experiment
/// through the command line hosted by this test assembly, shown in the summary, and part of the runs' identity with its
/// settings.
/// </summary>
public sealed class OwnCriterionTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-own-criterion-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_registered_criterion_runs_in_a_declared_experiment_through_the_command_line_and_its_settings_decide_its_runs()
    {
        PruningCriteria.Register(new MagnitudeMixCriterion(0.5));
        var output = Path.Combine(root, "results");
        var host = new LotteryHostOptions { Experiments = [typeof(OwnCriterionTests).Assembly] };
        Assert.Equal(0, LotteryCommandLine.Run(["run", "own-criterion", "--workers", "1", "--out", output], host));

        var summary = File.ReadAllLines(Path.Combine(output, "own-criterion", "summary.csv")).Select(l => l.Split(',')).ToList();
        var criterion = Array.IndexOf(summary[0], "criterion");
        var own = Assert.Single(summary, r => r[1] == "OwnEveryEpoch");
        Assert.Equal("MagnitudeMix", own[criterion]);
        Assert.Equal("Magnitude", summary.First(r => r[1] == "Imp")[criterion]);
        var runs = Directory.GetDirectories(Path.Combine(output, "runs")).Select(Path.GetFileName).ToHashSet();
        var ownRun = Assert.Single(runs, r => r!.StartsWith("owneveryepoch-", StringComparison.Ordinal));
        var settings = File.ReadAllText(Path.Combine(output, "runs", ownRun!, "settings.json"));
        Assert.Contains("\"CriterionName\": \"MagnitudeMix\"", settings, StringComparison.Ordinal);
        Assert.Contains("\"CriterionSettings\": \"mix=0.5\"", settings, StringComparison.Ordinal);

        // Another setting of the same criterion: its runs train again under another identity; the others are read back.
        PruningCriteria.Register(new MagnitudeMixCriterion(0.25));
        Assert.Equal(0, LotteryCommandLine.Run(["run", "own-criterion", "--workers", "1", "--out", output], host));
        var after = Directory.GetDirectories(Path.Combine(output, "runs")).Select(Path.GetFileName).ToHashSet();
        var added = Assert.Single(after.Except(runs));
        Assert.StartsWith("owneveryepoch-", added, StringComparison.Ordinal);
        Assert.Contains("\"CriterionSettings\": \"mix=0.25\"", File.ReadAllText(Path.Combine(output, "runs", added!, "settings.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_criterion_that_is_not_registered_is_one_error_naming_the_setting_and_how_to_register_it()
    {
        var method = new PruningMethod { Schedule = ScheduleKind.Iterative, Rounds = 1, CriterionName = "NobodyRegisteredThis" };
        var error = Assert.Throws<ArgumentException>(() => method.ToSettings());
        Assert.StartsWith("PruningMethod.CriterionName: no criterion named 'NobodyRegisteredThis' is registered; call PruningCriteria.Register(new YourCriterion())", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PruningCriteria.Register(new NamedLike("Magnitude")));
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private sealed class NamedLike(string name) : IPruningCriterion
    {
        public string Name => name;

        public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) => weight.abs();
    }
}

/// <summary>A user's own criterion: |w| + mix * |w0|, the current magnitude with some of the initial one.</summary>
public sealed class MagnitudeMixCriterion(double mix) : IPruningCriterion
{
    public string Name => "MagnitudeMix";

    public string Settings => FormattableString.Invariant($"mix={mix}");

    public Tensor Score(Tensor weight, Tensor initialWeight, Generator random) => weight.abs() + (initialWeight.abs() * mix);
}

/// <summary>A small network whose one-run schedule prunes by the criterion of the user's own.</summary>
[PruneSchedule(ScheduleKind.Iterative, Name = "Imp", Rate = 0.2, Rounds = 1)]
[PruneSchedule(ScheduleKind.EveryEpoch, Name = "OwnEveryEpoch", Rate = 0.2, TargetRemaining = 0.8, CriterionName = "MagnitudeMix")]
public sealed partial class OwnCriterionNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear hidden;

    [Prunable]
    private readonly Linear output;

    public OwnCriterionNet()
        : base(nameof(OwnCriterionNet))
    {
        hidden = nn.Linear(784, 16);
        output = nn.Linear(16, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return output.call(nn.functional.relu(hidden.call(input.reshape(input.shape[0], -1)))).MoveToOuterDisposeScope();
    }
}

/// <summary>The declared experiment: IMP for one round, and the own criterion matched to it.</summary>
[Experiment(typeof(OwnCriterionNet), Name = "own-criterion", Epochs = 2, Seeds = new[] { 1 }, Validation = 500, MatchTo = "Imp", Points = new[] { 1 })]
public static partial class OwnCriterionExperiment;
