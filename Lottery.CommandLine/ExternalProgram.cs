using System.Diagnostics;

namespace Lottery.CommandLine;

/// <summary>Runs a program installed on this machine (Slurm's sbatch) and collects what it prints.</summary>
internal static class ExternalProgram
{
    /// <summary>Runs <paramref name="program"/> and returns its exit code and output; a program that is not installed is an error saying so.</summary>
    public static (int Code, string Output) Run(string program, IEnumerable<string> arguments, string folder)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, output.Result + errors.Result);
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException($"{program} cannot be started ({error.Message}): is Slurm installed here and on PATH? Submit {folder}/submit.sh on the cluster's login node instead.", error);
        }
    }
}
