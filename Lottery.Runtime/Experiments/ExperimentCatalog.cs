using System.Reflection;

namespace Lottery.Experiments;

/// <summary>Finds the experiments declared with <see cref="ExperimentAttribute"/> in an assembly, by name.</summary>
public static class ExperimentCatalog
{
    /// <summary>
    /// Every experiment declared in <paramref name="assembly"/>: the generated <c>Definition</c> of each class with an
    /// <see cref="ExperimentAttribute"/>, keyed by its name (case-insensitive), in name order.
    /// </summary>
    public static IReadOnlyDictionary<string, ExperimentDefinition> In(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var found = new SortedDictionary<string, ExperimentDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in assembly.GetTypes().Where(t => t.GetCustomAttribute<ExperimentAttribute>() is not null))
        {
            if (type.GetProperty("Definition", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is ExperimentDefinition definition)
            {
                found[definition.Name] = definition;
            }
        }

        return found;
    }

    /// <summary>Every experiment declared in any of <paramref name="assemblies"/>, keyed by its name (case-insensitive), in name order.</summary>
    public static IReadOnlyDictionary<string, ExperimentDefinition> In(IEnumerable<Assembly> assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        var found = new SortedDictionary<string, ExperimentDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, definition) in assemblies.Distinct().SelectMany(a => In(a)))
        {
            found[name] = definition;
        }

        return found;
    }

    /// <summary>The experiment named <paramref name="name"/> in <paramref name="assembly"/>.</summary>
    /// <exception cref="ArgumentException">There is none; the message lists the names there are.</exception>
    public static ExperimentDefinition Find(Assembly assembly, string name) => Find([assembly], name);

    /// <summary>The experiment named <paramref name="name"/> in any of <paramref name="assemblies"/>.</summary>
    /// <exception cref="ArgumentException">There is none; the message lists the names there are.</exception>
    public static ExperimentDefinition Find(IEnumerable<Assembly> assemblies, string name)
    {
        var all = In(assemblies);
        return all.TryGetValue(name, out var definition)
            ? definition
            : throw new ArgumentException(all.Count == 0
                ? $"No experiment named '{name}': this program declares none. Declare one with [Experiment(typeof(YourModel), ...)] on a partial class."
                : $"No experiment named '{name}'. Declared experiments: {string.Join(", ", all.Keys)} (the `list` command shows them).");
    }
}
