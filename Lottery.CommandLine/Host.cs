using System.Reflection;
using Lottery.Experiments;

namespace Lottery.CommandLine;

/// <summary>The hosting program's experiments, as <see cref="LotteryCommandLine.Run(string[], LotteryHostOptions)"/> was given them.</summary>
internal static class Host
{
    private static IReadOnlyList<Assembly> assemblies = [];
    private static IReadOnlyDictionary<string, ExperimentDefinition> experiments = new Dictionary<string, ExperimentDefinition>();

    /// <summary>The experiment <c>run</c> runs when none is named, or null.</summary>
    public static string? DefaultExperiment { get; private set; }

    /// <summary>Every declared experiment of the host, by name.</summary>
    public static IReadOnlyDictionary<string, ExperimentDefinition> Experiments => experiments;

    /// <summary>The declared experiment named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">There is none; the message lists those there are.</exception>
    public static ExperimentDefinition Find(string name) => ExperimentCatalog.Find(assemblies, name);

    public static void Configure(LotteryHostOptions options, string programName)
    {
        // The runtime's messages name it too (HostProgram): one name for the program, wherever a message comes from.
        HostProgram.Name = programName;
        assemblies = options.Experiments.Count > 0
            ? options.Experiments
            : Assembly.GetEntryAssembly() is { } entry ? [entry] : [];
        experiments = ExperimentCatalog.In(assemblies);
        DefaultExperiment = options.DefaultExperiment ?? (experiments.Count == 1 ? experiments.Keys.Single() : null);
    }
}
