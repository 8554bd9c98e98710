using System.Diagnostics;
using Lottery.Tests.Experiments;

namespace Lottery.Tests.Scale;

/// <summary>The `lottery` program as a real process, and what a run leaves in a results folder.</summary>
internal static class LotteryProcess
{
    /// <summary>The small declared experiment these tests run: SmallMlp, 2 seeds, 20 runs in 3 stages (IMP and its controls, a matched arm, rewind-once controls).</summary>
    public const string Experiment = "own-schedule";

    /// <summary>Runs lottery to its end and returns its exit code and output.</summary>
    public static (int Code, string Output) Run(params string[] arguments) => RunCliTests.Cli(arguments);

    /// <summary>How to start lottery with <paramref name="arguments"/> (and, when given, more environment variables), its output redirected.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string>>? environment = null) =>
        Program(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [Path.Combine(AppContext.BaseDirectory, "lottery.dll"), .. arguments], environment);

    /// <summary>How to start <paramref name="program"/> with <paramref name="arguments"/>, its output redirected.</summary>
    public static ProcessStartInfo Program(string program, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string>>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Runs <paramref name="start"/> to its end (within <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static (int Code, string Output) RunToEnd(ProcessStartInfo start, TimeSpan timeout)
    {
        var (code, standardOutput, standardError) = RunToEndApart(start, timeout);
        return (code, standardOutput + standardError);
    }

    /// <summary>Runs <paramref name="start"/> to its end (within <paramref name="timeout"/>) and returns its exit code, its standard output and its standard error.</summary>
    public static (int Code, string StandardOutput, string StandardError) RunToEndApart(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(timeout), $"{start.FileName} {string.Join(' ', start.ArgumentList)} finished within {timeout.TotalMinutes:0} minutes");
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts lottery with its output collected in the background (read it with <see cref="Output"/> once it has exited).</summary>
    public static Process Start(params string[] arguments)
    {
        var process = new Process { StartInfo = StartInfo(arguments) };
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Outputs[process.Id] = output;
        return process;

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="process"/> to end, then for its output to be read to the end.</summary>
    public static bool WaitFor(Process process, TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            return false;
        }

        process.WaitForExit(); // Also waits until the output handlers have seen every line.
        return true;
    }

    /// <summary>What a process started with <see cref="Start"/> has written so far.</summary>
    public static string Output(Process process)
    {
        var output = Outputs[process.Id];
        lock (output)
        {
            return output.ToString();
        }
    }

    /// <summary>Kills <paramref name="process"/> and everything it started, and waits for it.</summary>
    public static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
    }

    /// <summary>The summary's rows without the columns that may differ between equal runs (training seconds and the run's folder).</summary>
    public static List<string> Figures(string output, string experiment = Experiment) =>
        File.ReadAllLines(Path.Combine(output, experiment, "summary.csv"))
            .Select(line => string.Join(',', line.Split(',').Where((_, i) => i is not 12 and not 13)))
            .ToList();

    /// <summary>Each finished run's folder with how many times its history says it began from scratch, resumed and finished.</summary>
    public static Dictionary<string, (int Began, int Resumed, int Finished, int TookOver)> Histories(string output)
    {
        var runs = Path.Combine(output, "runs");
        return Directory.GetDirectories(runs).ToDictionary(
            folder => Path.GetFileName(folder),
            folder =>
            {
                var lines = File.Exists(Path.Combine(folder, "history.log")) ? File.ReadAllLines(Path.Combine(folder, "history.log")) : [];
                return (
                    lines.Count(l => l.Contains(": began", StringComparison.Ordinal)),
                    lines.Count(l => l.Contains(": resumed from ", StringComparison.Ordinal)),
                    lines.Count(l => l.EndsWith(": finished", StringComparison.Ordinal)),
                    lines.Count(l => l.Contains(": took over the claim of ", StringComparison.Ordinal)));
            });
    }

    /// <summary>
    /// What each run's history says the process that began it computed with ("portable numerics, LibTorch's AVX2 kernels"),
    /// one entry per run that began.
    /// </summary>
    public static List<string> BeganWith(string output) =>
        Directory.GetDirectories(Path.Combine(output, "runs"))
            .SelectMany(folder => File.Exists(Path.Combine(folder, "history.log")) ? File.ReadAllLines(Path.Combine(folder, "history.log")) : [])
            .Where(l => l.Contains(": began (", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(": began (", StringComparison.Ordinal) + ": began (".Length)..].TrimEnd(')'))
            .ToList();

    /// <summary>What a run's history says when the portable profile reached LibTorch (written here by hand, not taken from the code).</summary>
    public const string PortableKernels = "portable numerics, LibTorch's AVX2 kernels";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, System.Text.StringBuilder> Outputs = new();
}

/// <summary>The small experiment run once, serially in one process with one worker: the figures every other way of running it must reproduce.</summary>
public sealed class SerialRun : IDisposable
{
    /// <summary>Runs it.</summary>
    public SerialRun()
    {
        var (code, output) = LotteryProcess.Run("run", LotteryProcess.Experiment, "--out", Folder, "--workers", "1");
        Assert.True(code == 0, output);
        Figures = LotteryProcess.Figures(Folder);
    }

    /// <summary>Its results folder.</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "lottery-serial-" + Guid.NewGuid().ToString("N"));

    /// <summary>Its summary's figures.</summary>
    public IReadOnlyList<string> Figures { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
