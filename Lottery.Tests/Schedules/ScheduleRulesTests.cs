using System.Globalization;
using Lottery.Runs;
using Lottery.Schedules;
using static Lottery.Tests.Generators.GeneratorHarness;

namespace Lottery.Tests.Schedules;

/// <summary>
/// A schedule kind's rules live in one place (ScheduleDescriptor), compiled into the runtime and the generator: a setting
/// a kind refuses, or one it cannot do without, is refused alike by [PruneSchedule] at compile time and by
/// PruningMethod at run time, for the same reason.
/// </summary>
public class ScheduleRulesTests
{
    // A setting each kind refuses, with a value the declaration and the method both accept on a kind that takes it.
    public static TheoryData<ScheduleKind, string, string> Refused => new()
    {
        { ScheduleKind.EveryEpoch, "Rounds = 3", "only Iterative trains in rounds" },
        { ScheduleKind.Iterative, "StartEpoch = 2", "which prunes after whole rounds" },
        { ScheduleKind.OneShot, "EndEpoch = 4", "which prunes once, after StartEpoch" },
        { ScheduleKind.AtInit, "EndEpoch = 4", "which prunes once, before the first epoch" },
        { ScheduleKind.DynamicSparse, "StartEpoch = 2", "which prunes once, before the first epoch" },
        { ScheduleKind.AtInit, "Rewind = RewindKind.ToInit", "the weights are still the initial ones" },
        { ScheduleKind.EveryEpoch, "InitialSparsity = 0.1", "only Gradual starts from an initial sparsity" },
        { ScheduleKind.Gradual, "UpdateEvery = 50", "only DynamicSparse drops and regrows connections" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_setting_a_kind_refuses_is_refused_by_the_declaration_and_by_the_method_alike(ScheduleKind kind, string setting, string why)
    {
        var declared = Declare(kind, setting);
        var diagnostic = Assert.Single(Run(declared).GeneratorDiagnostics);
        Assert.Equal("LTH0012", diagnostic.Id);
        Assert.Contains(why, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var error = Assert.Throws<ArgumentException>(() => Method(kind, setting).Validate());
        var name = setting[..setting.IndexOf(' ', StringComparison.Ordinal)];
        Assert.StartsWith($"PruningMethod.{name}: {name} does not apply to", error.Message, StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ScheduleKind.EveryEpoch, "TargetRemaining")]
    [InlineData(ScheduleKind.OneShot, "TargetRemaining")]
    [InlineData(ScheduleKind.AtInit, "TargetRemaining")]
    [InlineData(ScheduleKind.DynamicSparse, "TargetRemaining")]
    public void A_setting_a_kind_cannot_do_without_is_asked_for_by_both(ScheduleKind kind, string missing)
    {
        var diagnostic = Assert.Single(Run(Declare(kind, null, withTarget: false)).GeneratorDiagnostics);
        Assert.Equal("LTH0013", diagnostic.Id);
        var compiled = diagnostic.GetMessage(CultureInfo.InvariantCulture);

        var error = Assert.Throws<ArgumentException>(() => new PruningMethod { Schedule = kind, Regrowth = kind == ScheduleKind.DynamicSparse ? RegrowthKind.Random : null }.Validate());
        Assert.StartsWith($"PruningMethod.{missing}: ", error.Message, StringComparison.Ordinal);
        // The same sentence, but for its capital and full stop.
        Assert.Equal(compiled, char.ToUpperInvariant(error.Message[$"PruningMethod.{missing}: ".Length]) + error.Message[($"PruningMethod.{missing}: ".Length + 1)..^1]);
    }

    [Fact]
    public void Every_kind_builds_its_own_schedule_from_a_method()
    {
        var methods = new Dictionary<ScheduleKind, PruningMethod>
        {
            [ScheduleKind.Iterative] = new() { Schedule = ScheduleKind.Iterative, Rounds = 2 },
            [ScheduleKind.EveryEpoch] = new() { Schedule = ScheduleKind.EveryEpoch, TargetRemaining = 0.5 },
            [ScheduleKind.Gradual] = new() { Schedule = ScheduleKind.Gradual, TargetRemaining = 0.5, StartEpoch = 1, EndEpoch = 3 },
            [ScheduleKind.OneShot] = new() { Schedule = ScheduleKind.OneShot, TargetRemaining = 0.5 },
            [ScheduleKind.AtInit] = new() { Schedule = ScheduleKind.AtInit, TargetRemaining = 0.5 },
            [ScheduleKind.DynamicSparse] = new() { Schedule = ScheduleKind.DynamicSparse, TargetRemaining = 0.5, Regrowth = RegrowthKind.Gradient },
        };
        Assert.Equal(Enum.GetValues<ScheduleKind>().Order(), methods.Keys.Order());
        foreach (var (kind, method) in methods)
        {
            // Each schedule class is named after its kind.
            Assert.Equal($"{kind}Schedule", method.ToSettings().Schedule!.GetType().Name);
        }
    }

    private static string Declare(ScheduleKind kind, string? setting, bool withTarget = true)
    {
        var arguments = new List<string> { $"ScheduleKind.{kind}" };
        if (kind == ScheduleKind.Iterative)
        {
            arguments.Add("Rounds = 2");
        }
        else if (withTarget)
        {
            arguments.Add("TargetRemaining = 0.5");
        }

        if (kind == ScheduleKind.Gradual)
        {
            arguments.AddRange(["StartEpoch = 1", "EndEpoch = 3"]);
        }

        if (setting is not null)
        {
            arguments.Add(setting);
        }

        return Usings + Lottery.Tests.Generators.DiagnosticTests.Model($"[PruneSchedule({string.Join(", ", arguments)})]", "[Prunable] private Linear fc = null!;");
    }

    private static PruningMethod Method(ScheduleKind kind, string setting)
    {
        var method = kind switch
        {
            ScheduleKind.Iterative => new PruningMethod { Schedule = kind, Rounds = 2 },
            ScheduleKind.Gradual => new PruningMethod { Schedule = kind, TargetRemaining = 0.5, StartEpoch = 1, EndEpoch = 3 },
            ScheduleKind.DynamicSparse => new PruningMethod { Schedule = kind, TargetRemaining = 0.5, Regrowth = RegrowthKind.Random },
            _ => new PruningMethod { Schedule = kind, TargetRemaining = 0.5 },
        };
        var (name, value) = (setting[..setting.IndexOf(' ', StringComparison.Ordinal)], setting[(setting.IndexOf('=', StringComparison.Ordinal) + 2)..]);
        return name switch
        {
            "Rounds" => method with { Rounds = int.Parse(value, CultureInfo.InvariantCulture) },
            "StartEpoch" => method with { StartEpoch = int.Parse(value, CultureInfo.InvariantCulture) },
            "EndEpoch" => method with { EndEpoch = int.Parse(value, CultureInfo.InvariantCulture) },
            "InitialSparsity" => method with { InitialSparsity = double.Parse(value, CultureInfo.InvariantCulture) },
            "UpdateEvery" => method with { UpdateEvery = int.Parse(value, CultureInfo.InvariantCulture) },
            "Rewind" => method with { Rewind = Enum.Parse<RewindKind>(value["RewindKind.".Length..]) },
            _ => throw new ArgumentException($"The test does not set {name}."),
        };
    }
}
