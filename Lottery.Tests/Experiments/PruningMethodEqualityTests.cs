using System.Reflection;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Schedules;

namespace Lottery.Tests.Experiments;

/// <summary>A pruning method's equality compares every setting directly, and agrees with its JSON (what a run's identity hashes).</summary>
public sealed class PruningMethodEqualityTests
{
    [Fact]
    public void Every_setting_takes_part_in_equality_as_it_does_in_the_json_of_the_identity()
    {
        var method = new PruningMethod { Schedule = ScheduleKind.EveryEpoch, TargetRemaining = 0.5, Layers = [new LayerOverride("fc", 0.1)] };
        var copy = PruningMethod.FromJson(method.ToJson());
        Assert.Equal(method, copy);
        Assert.Equal(method.GetHashCode(), copy.GetHashCode());
        Assert.NotSame(method.Layers, copy.Layers);

        // A value other than the method's, for every type of setting (written here by hand).
        var others = new Dictionary<Type, object>
        {
            [typeof(ScheduleKind?)] = ScheduleKind.Gradual,
            [typeof(double)] = 0.375,
            [typeof(double?)] = 0.125,
            [typeof(int)] = 3,
            [typeof(int?)] = 7,
            [typeof(long?)] = 9L,
            [typeof(CriterionKind)] = CriterionKind.LeastChange,
            [typeof(PruningScope)] = PruningScope.Global,
            [typeof(RewindKind)] = RewindKind.ToEpoch,
            [typeof(RegrowthKind?)] = RegrowthKind.Gradient,
            [typeof(EarlyBirdStop)] = new EarlyBirdStop(0.05, 3),
            [typeof(IReadOnlyList<LayerOverride>)] = new List<LayerOverride> { new("fc", 0.2) },
            [typeof(string)] = "OtherName",
            [typeof(bool)] = true,
        };
        var settings = typeof(PruningMethod).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.True(settings.Count >= 22, $"{settings.Count} settings found");
        foreach (var setting in settings)
        {
            var changed = PruningMethod.FromJson(method.ToJson());
            setting.SetValue(changed, others[setting.PropertyType]);
            Assert.True(!method.Equals(changed), $"{setting.Name} changed, yet the methods are equal");
            Assert.True(method.ToJson() != changed.ToJson(), $"{setting.Name} changed, yet the JSON is the same");
        }
    }
}
