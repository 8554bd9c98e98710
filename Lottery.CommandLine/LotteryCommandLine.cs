using System.CommandLine;
using System.Reflection;
using Lottery.Data;
using Lottery.Training;

namespace Lottery.CommandLine;

/// <summary>What a program hosting Lottery's command line brings: its experiments, its default one, its own commands.</summary>
public sealed record LotteryHostOptions
{
    /// <summary>The assemblies whose <see cref="ExperimentAttribute"/> classes the commands know (default: the program's own).</summary>
    public IReadOnlyList<Assembly> Experiments { get; init; } = [];

    /// <summary>The experiment <c>run</c> runs when none is named (default: the only one declared, or none).</summary>
    public string? DefaultExperiment { get; init; }

    /// <summary>The program's description in <c>--help</c> (default: Lottery's, naming the default experiment).</summary>
    public string? Description { get; init; }

    /// <summary>Commands of the program's own, beside Lottery's.</summary>
    public IReadOnlyList<Command> Commands { get; init; } = [];
}

/// <summary>
/// Lottery's command line (<c>run</c> with worker processes, <c>task</c>, <c>sweep</c>, <c>report</c>, <c>list</c>,
/// <c>inference</c>, <c>export</c>, <c>compact</c>), hosted by any program: <c>return LotteryCommandLine.Run(args);</c>
/// in a console app's <c>Program.cs</c> gives every command for the experiments it declares. Worker processes, Slurm
/// and Kubernetes tasks start that same program.
/// </summary>
public static class LotteryCommandLine
{
    /// <summary>Runs the command <paramref name="args"/> name, for the experiments declared in the program (the entry assembly); returns the exit code.</summary>
    public static int Run(string[] args) => Run(args, new LotteryHostOptions());

    /// <summary>Runs the command <paramref name="args"/> name, with the experiments and commands of <paramref name="options"/>; returns the exit code (0 done, 2 a user error in one line, 3 a bug).</summary>
    public static int Run(string[] args, LotteryHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(options);
        Host.Configure(options, new RootCommand().Name);
        var run = RunCommand.Create();
        var root = new RootCommand(options.Description ?? (Host.DefaultExperiment is { } chosen
            ? $"Lottery: lottery-ticket and pruning experiments on TorchSharp. With no command, runs `run {chosen}`, results under ./results."
            : "Lottery: lottery-ticket and pruning experiments on TorchSharp. `list` shows the declared experiments; `run <name>` runs one."))
        {
            run,
            ReportCommand.Create(),
            ListCommand.Create(),
            CompactCommand.Create(),
            InferenceCommand.Create(),
            TaskCommand.Create(),
            SweepCommand.Create(),
            ExportCommand.Create(),
            GroupsCommand.Create(),
        };
        foreach (var extra in options.Commands)
        {
            root.Subcommands.Add(extra);
        }

        root.Options.Add(CommonOptions.Numerics);

        // In a log or a pipe, tables are as wide as they need to be rather than 80 columns.
        if (Console.IsOutputRedirected)
        {
            Spectre.Console.AnsiConsole.Profile.Width = 200;
        }

        // Errors are reported below as one line, never as a stack trace.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };

        // No command: the default experiment.
        root.SetAction(parse => run.Parse([]).Invoke(invocation));

        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                // One line per problem, naming the option; `--help` shows the rest.
                foreach (var error in parsed.Errors)
                {
                    Console.Error.WriteLine($"error: {string.Join(' ', error.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
                }

                Console.Error.WriteLine($"Run `{HostProgram.Name} {string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : new[] { parsed.CommandResult.Command.Name })} --help` for the options.".Replace("  ", " ", StringComparison.Ordinal));
                return 2;
            }

            // Before anything computes: LibTorch chooses its kernels once, at its first computation.
            if (CommonOptions.NumericsGiven(parsed) is { } numerics)
            {
                Lottery.Native.Numerics.Use(numerics);
            }

            return parsed.Invoke(invocation);
        }
        catch (Exception) when (LocalWorkers.Ending)
        {
            // A worker whose parent has ended: whatever failed while the process was torn down is no error to report, and
            // no one reads this worker's output any more.
            return 130;
        }
        catch (Exception e) when (e is DataSetException or ArgumentException or TrainingDivergedException or InvalidOperationException or FileNotFoundException or InvalidDataException or NotSupportedException or Lottery.Compaction.CompactionMismatchException or Lottery.Experiments.RunStoreException)
        {
            // ArgumentException appends "(Parameter 'x')" and "Actual value was ...", which mean nothing here.
            var message = e.Message;
            var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            message = cut >= 0 ? message[..cut] : message.Split('\n')[0];
            Console.Error.WriteLine($"error: {message}");
            return 2;
        }
        catch (Exception e)
        {
            // A bug, not a user error: say so in one line, and keep the details for a report.
            var details = Path.Combine(Path.GetTempPath(), $"lottery-error-{Environment.ProcessId}.txt");
            File.WriteAllText(details, e.ToString());
            Console.Error.WriteLine($"internal error: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            Console.Error.WriteLine($"The details are in {details}; please attach them to an issue.");
            return 3;
        }
    }
}
