using System.CommandLine;
using Lottery.Data;
using Lottery.Training;

namespace Lottery.CommandLine;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static Option<string> Data() => new("--data")
    {
        Description = $"Data set: {DataSets.MnistDigits} (embedded, 8,000 train / 2,000 test) or {DataSets.FashionMnist} (60,000 / 10,000; `apt-get install dataset-fashion-mnist`, or set {DataSets.DataFolderVariable}).",
        DefaultValueFactory = _ => DataSets.MnistDigits,
    };

    public static Option<string?> DataFolder()
    {
        var folder = new Option<string?>("--data-dir")
        {
            Description = "Folder holding the four IDX files of the data set (default: search the usual places).",
        };
        folder.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } path && !Directory.Exists(path))
            {
                result.AddError($"--data-dir: the folder '{path}' does not exist; pass the folder that holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz), or leave --data-dir out to search the usual places.");
            }
        });
        return folder;
    }

    public static Option<string> Output() => new("--out")
    {
        Description = "The results folder: runs under <out>/runs/, each experiment's report under <out>/<name>/.",
        DefaultValueFactory = _ => "results",
    };

    public static Option<long> Seed() => new("--seed")
    {
        Description = "Seed for initialisation, the validation split, batch order and random pruning.",
        DefaultValueFactory = _ => 1,
    };

    public static Option<int> Threads()
    {
        var threads = new Option<int>("--threads")
        {
            Description = "CPU threads TorchSharp may use (0: its default, one per core).",
            DefaultValueFactory = _ => 0,
        };
        Require(threads, v => v >= 0, "it must not be negative");
        return threads;
    }

    /// <summary>
    /// TorchSharp threads of each worker: 1 by default, because LibTorch's sums come out in another order with more
    /// threads, which moves a few figures in their last digits; with one thread each, an experiment's figures are the
    /// same whatever the number of workers or cores.
    /// </summary>
    public static Option<int?> WorkerThreads()
    {
        var threads = new Option<int?>("--threads")
        {
            Description = "CPU threads of each worker (default 1: the figures are then the same for any number of workers and cores; more threads can change their last digits).",
        };
        Require(threads, v => v is null or >= 1, "it must be at least 1");
        return threads;
    }

    /// <summary>
    /// <c>--numerics</c>, on every command: which of LibTorch's kernels this process computes with (see
    /// docs/numerics-and-devices.md). One instance, so that commands and the program's start read the same option.
    /// </summary>
    public static Option<string?> Numerics { get; } = CreateNumerics();

    /// <summary>The profile <c>--numerics</c> gave, or null when it was not given.</summary>
    public static NumericsProfile? NumericsGiven(ParseResult parse) =>
        parse.GetValue(Numerics) is { } name && Lottery.Native.Numerics.TryParse(name, out var profile) ? profile : null;

    private static Option<string?> CreateNumerics()
    {
        var numerics = new Option<string?>("--numerics")
        {
            Description = $"LibTorch's CPU kernels: {NumericsName.Allowed}; default {Lottery.Native.Numerics.ProfileVariable} or portable. Part of every run's identity.",
            Recursive = true,
        };
        Require(numerics, NumericsName.IsValid, $"give {NumericsName.Allowed}");
        return numerics;
    }

    /// <summary>The option name of <see cref="Device"/>, as an unavailable device's error names its source.</summary>
    public const string DeviceOption = "--device";

    /// <summary><c>--device</c>: where training and evaluation run; a name that is not a device is a parse error naming the option.</summary>
    public static Option<string?> Device()
    {
        var device = new Option<string?>(DeviceOption)
        {
            Description = "Where to train and evaluate: cpu, cuda (the current GPU) or cuda:N (GPU N), instead of the declared device (default cpu). "
                + "A GPU needs TorchSharp's CUDA package (TorchSharp-cuda-linux or TorchSharp-cuda-windows) and an NVIDIA GPU; see docs/numerics-and-devices.md, \"Choosing a device\".",
        };
        Require(device, TrainingDevice.IsValidName, $"give {TrainingDevice.AllowedNames}");
        return device;
    }

    /// <summary>
    /// <paramref name="settings"/> with <c>--device</c>'s value when it was given, then checked against this machine: a
    /// GPU it lacks, given or declared, stops here with one line, before anything is written or trained (unless
    /// <paramref name="check"/> is false: a report reads runs of any device and trains nothing).
    /// </summary>
    public static TrainingSettings WithDevice(TrainingSettings settings, string? device, bool check = true)
    {
        var chosen = device is null ? settings : settings with { Device = device, DeviceSource = DeviceOption };
        if (check)
        {
            TrainingDevice.Resolve(chosen);
        }

        return chosen;
    }

    /// <summary>Makes a value that fails <paramref name="valid"/> a parse error naming the option.</summary>
    public static void Require<T>(Option<T> option, Func<T, bool> valid, string problem) =>
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<T>();
            if (!valid(value))
            {
                result.AddError($"{option.Name} {value} is not valid: {problem}.");
            }
        });

    /// <summary>The results folder, created if needed; one that cannot be written is an error naming --out.</summary>
    public static string WritableFolder(string folder)
    {
        try
        {
            var full = Path.GetFullPath(folder);
            ProbeWrite(full);
            return full;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ArgumentException($"--out: '{folder}' cannot be written ({error.Message}); give a folder you can write to.", error);
        }
    }

    /// <summary>
    /// Checks that <paramref name="file"/>'s folder can be written before a command writes anything, so that a read-only
    /// or missing folder is one error that names it, not an IOException after part of the output is written. With
    /// <paramref name="chosen"/> the file was given with --to; otherwise it goes beside the command's source, and the
    /// error suggests --to.
    /// </summary>
    public static void RequireWritable(string file, bool chosen)
    {
        try
        {
            ProbeWrite(Path.GetDirectoryName(Path.GetFullPath(file))!);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(file, chosen, error);
        }
    }

    /// <summary>Creates <paramref name="folder"/> when needed and writes and deletes a file in it: it fails as a real write would.</summary>
    private static void ProbeWrite(string folder)
    {
        Directory.CreateDirectory(folder);
        var probe = Path.Combine(folder, $".lottery-write-test-{Environment.ProcessId}");
        File.WriteAllText(probe, string.Empty);
        File.Delete(probe);
    }

    /// <summary>The error for a file a command could not write: the file given with --to, or else its folder with a suggestion of --to.</summary>
    public static ArgumentException Unwritable(string file, bool chosen, Exception error)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var cut = error.Message.IndexOf(" : '", StringComparison.Ordinal);
        var reason = (cut >= 0 ? error.Message[..cut] : error.Message).TrimEnd('.');
        return chosen
            ? new ArgumentException($"--to: '{file}' cannot be written ({reason}); give a file in a folder you can write to.", error)
            : new ArgumentException($"The folder '{folder}' cannot be written ({reason}); give a file in a folder you can write to with --to.", error);
    }

    public static void ApplyThreads(int threads)
    {
        if (threads > 0)
        {
            TorchSharp.torch.set_num_threads(threads);
        }
    }
}
