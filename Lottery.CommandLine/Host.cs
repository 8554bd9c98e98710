using System.Reflection;
using Lottery.Experiments;

namespace Lottery.CommandLine;

/// <summary>The hosting program's experiments, as <see cref="LotteryCommandLine.Run(string[], LotteryHostOptions)"/> was given them.</summary>
internal static class Host
{
    private static IReadOnlyList<Assembly> assemblies = [];

    /// <summary>The experiment <c>run</c> runs when none is named, or null.</summary>
    public static string? DefaultExperiment { get; private set; }

    /// <summary>Every declared experiment of the host, by name.</summary>
    public static IReadOnlyDictionary<string, ExperimentDefinition> Experiments => ExperimentCatalog.In(assemblies);

    /// <summary>The declared experiment named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">There is none; the message lists those there are.</exception>
    public static ExperimentDefinition Find(string name) => ExperimentCatalog.Find(assemblies, name);

    public static void Configure(LotteryHostOptions options)
    {
        assemblies = options.Experiments.Count > 0
            ? options.Experiments
            : Assembly.GetEntryAssembly() is { } entry ? [entry] : [];
        var declared = ExperimentCatalog.In(assemblies);
        DefaultExperiment = options.DefaultExperiment ?? (declared.Count == 1 ? declared.Keys.Single() : null);
    }
}
