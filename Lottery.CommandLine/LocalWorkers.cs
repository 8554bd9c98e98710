using System.Diagnostics;
using System.Text.Json;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Training;

namespace Lottery.CommandLine;

/// <summary>
/// Local workers: `lottery run --workers N` starts N copies of this program on one results folder, each a worker that
/// claims runs (see <see cref="ExperimentRunner.Work"/>), and shows their progress as one view. A worker tells its
/// progress as lines starting with <see cref="Prefix"/> on its standard output.
/// </summary>
internal static class LocalWorkers
{
    /// <summary>The start of a worker's progress line; the rest is one JSON object.</summary>
    public const string Prefix = "@lottery ";

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Workers that use the machine well: one per core while memory allows about 2 GiB each, no more than there are runs.</summary>
    public static int DefaultWorkers(int runs)
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30);
        var workers = Math.Min(Environment.ProcessorCount, (int)Math.Max(1, memory / 2));
        return Math.Clamp(workers, 1, Math.Max(1, runs));
    }

    /// <summary>The command line of worker <paramref name="number"/>: `run` with the experiment's <paramref name="arguments"/>, as one worker of several with <paramref name="threads"/> threads.</summary>
    public static IReadOnlyList<string> WorkerArguments(IReadOnlyList<string> arguments, int threads, int number) =>
        ["run", .. arguments, "--workers", "1", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--worker", FormattableString.Invariant($"worker {number}")];

    /// <summary>
    /// Starts <paramref name="workers"/> workers running `run` with <paramref name="arguments"/>, relays their progress
    /// to <paramref name="progress"/> (each run once), waits for all, and returns the error lines of those that failed.
    /// </summary>
    public static IReadOnlyList<string> Run(IReadOnlyList<PlannedRun> plan, IReadOnlyList<string> arguments, int workers, int threads, IExperimentProgress progress)
    {
        var relay = new Relay(plan, progress);
        var processes = new List<(Process Process, Task<string> Errors, Task Output)>();
        try
        {
            for (var i = 1; i <= workers; i++)
            {
                var process = Self(WorkerArguments(arguments, threads, i));
                var errors = process.StandardError.ReadToEndAsync();
                var lines = Task.Run(() =>
                {
                    while (process.StandardOutput.ReadLine() is { } line)
                    {
                        try
                        {
                            relay.Line(line);
                        }
                        catch (Exception error) when (error is JsonException or InvalidOperationException or ArgumentException)
                        {
                            // A garbled progress line: skip it, and keep reading so the worker never blocks on a full pipe.
                        }
                    }
                });
                processes.Add((process, errors, lines));
            }

            var failures = new List<string>();
            foreach (var (process, number) in processes.Select((p, i) => (p, i + 1)))
            {
                process.Process.WaitForExit();
                process.Output.Wait();
                if (process.Process.ExitCode != 0)
                {
                    var lines = process.Errors.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    failures.AddRange(lines.Length > 0
                        ? lines
                        : [string.Create(System.Globalization.CultureInfo.InvariantCulture, $"error: worker {number} ended with exit code {process.Process.ExitCode} and said nothing (killed, or out of memory?).")]);
                }
            }

            return failures.Distinct().ToList();
        }
        finally
        {
            foreach (var (process, _, _) in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }
    }

    /// <summary>
    /// This program, started with <paramref name="arguments"/>, its output read by the caller. Its standard input stays
    /// open: a worker ends when it closes (<see cref="EndWithParent"/>), so killing the caller ends its workers too.
    /// </summary>
    public static Process Self(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in SelfCommand().Skip(1).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("This program could not start a copy of itself.");
    }

    /// <summary>The command that starts this program: its executable, and its assembly when it runs under `dotnet`.</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        var executable = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(executable) == "dotnet"
            ? [executable, (System.Reflection.Assembly.GetEntryAssembly() ?? typeof(LocalWorkers).Assembly).Location]
            : [executable];
    }

    /// <summary>
    /// Whether this worker is ending because the process that started it has ended: LibTorch's teardown then makes
    /// the training thread fail (an "INTERNAL ASSERT FAILED" of an operator unregistered), which is no bug to report.
    /// </summary>
    public static bool Ending => ending;

    private static volatile bool ending;

    /// <summary>Ends this process when its standard input closes: the process that started it as a worker has ended.</summary>
    public static void EndWithParent()
    {
        if (!Console.IsInputRedirected)
        {
            return;
        }

        new Thread(() =>
        {
            try
            {
                while (Console.In.Read() != -1)
                {
                }
            }
            catch (IOException)
            {
                // Closed: the same as its end.
            }

            ending = true;
            if (OperatingSystem.IsLinux())
            {
                // At once, as a kill would: Environment.Exit runs LibTorch's static destructors under the training
                // thread, which then fails an internal assertion or crashes. Every file is whole or absent either way.
                ExitNow(130);
            }

            Environment.Exit(130);
        })
        { IsBackground = true, Name = "parent watch" }.Start();
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "_exit")]
    private static extern void ExitNow(int status);

    /// <summary>A worker's progress, written as lines for the process that started it.</summary>
    public sealed class Lines(IReadOnlyList<PlannedRun> plan) : IExperimentProgress
    {
        private readonly Dictionary<PlannedRun, int> index = plan.Select((run, i) => (run, i)).ToDictionary(p => p.run, p => p.i);
        private readonly object gate = new();

        public void Starting(PlannedRun run) => Write(new Event("starting", index[run]));

        public void Epoch(PlannedRun run, EpochMetrics metrics) => Write(new Event("epoch", index[run]) { Metrics = metrics });

        public void Finished(PlannedRun run, RunResult result, bool reused) => Write(new Event("finished", index[run]) { Reused = reused, Result = result });

        public void Warning(string message) => Write(new Event("warning", -1) { Message = message });

        private void Write(Event e)
        {
            var line = Prefix + JsonSerializer.Serialize(e, Json);
            lock (gate)
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
        }
    }

    /// <summary>One progress event of a worker.</summary>
    private sealed record Event(string Kind, int Run)
    {
        public EpochMetrics? Metrics { get; init; }

        public RunResult? Result { get; init; }

        public bool Reused { get; init; }

        public string? Message { get; init; }
    }

    /// <summary>Passes the workers' events on, each run's end once, from one thread at a time.</summary>
    private sealed class Relay(IReadOnlyList<PlannedRun> plan, IExperimentProgress progress)
    {
        private readonly object gate = new();
        private readonly HashSet<int> finished = [];
        private readonly HashSet<int> trainedHere = [];

        public void Line(string line)
        {
            if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return;
            }

            var e = JsonSerializer.Deserialize<Event>(line.AsSpan(Prefix.Length), Json);
            if (e is null || (e.Kind != "warning" && (e.Run < 0 || e.Run >= plan.Count)))
            {
                return;
            }

            lock (gate)
            {
                switch (e.Kind)
                {
                    case "starting":
                        trainedHere.Add(e.Run);
                        progress.Starting(plan[e.Run]);
                        break;
                    case "epoch" when e.Metrics is not null:
                        progress.Epoch(plan[e.Run], e.Metrics);
                        break;
                    case "finished" when e.Result is not null && (!e.Reused || !trainedHere.Contains(e.Run)) && finished.Add(e.Run):
                        progress.Finished(plan[e.Run], e.Result, e.Reused);
                        break;
                    case "warning" when e.Message is not null:
                        progress.Warning(e.Message);
                        break;
                }
            }
        }
    }
}
