using System.CommandLine;
using Lottery.Data;
using Lottery.Examples.Commands;
using Lottery.Training;

var run = RunCommand.Create();
var root = new RootCommand($"Lottery: lottery-ticket and pruning experiments on TorchSharp. With no command, runs `run {RunCommand.DefaultExperiment}`: the hypothesis comparison of LeNet-300-100 on the embedded MNIST digits, 3 seeds, results under ./results.")
{
    run,
    ReportCommand.Create(),
    ListCommand.Create(),
    ImpCommand.Create(),
    BenchmarkCommand.Create(),
    CompactCommand.Create(),
    InferenceCommand.Create(),
    TaskCommand.Create(),
    SweepCommand.Create(),
    ExportCommand.Create(),
};
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

        Console.Error.WriteLine($"Run `lottery {string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : new[] { parsed.CommandResult.Command.Name })} --help` for the options.".Replace("  ", " ", StringComparison.Ordinal));
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
