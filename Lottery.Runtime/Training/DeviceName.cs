using System;
using System.Globalization;
using System.Linq;

namespace Lottery.Training;

/// <summary>
/// The device names a run accepts: <c>cpu</c>, <c>cuda</c> (the current GPU) and <c>cuda:N</c> (GPU N). This file is
/// compiled into both Lottery.Runtime (<see cref="TrainingSettings.Validate"/>, <c>--device</c>) and
/// Lottery.Generators (LTH0027 on <c>[Experiment(Device = ...)]</c>), so the compiler and the run cannot disagree.
/// </summary>
internal static class DeviceName
{
    /// <summary>The CPU, and what an unset device means.</summary>
    public const string Cpu = "cpu";

    /// <summary>The current CUDA GPU; also what a run's identity records for any GPU.</summary>
    public const string Cuda = "cuda";

    /// <summary>The accepted names, as error messages list them.</summary>
    public const string Allowed = "cpu, cuda or cuda:N (N the index of a GPU, from 0)";

    private const string CudaPrefix = "cuda:";

    /// <summary>Whether <paramref name="name"/> is <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; null (unset) means the CPU.</summary>
    public static bool IsValid(string? name) => name is null or Cpu or Cuda || CudaIndex(name) is not null;

    /// <summary>Whether <paramref name="name"/> names a CUDA GPU (<c>cuda</c> or <c>cuda:N</c>).</summary>
    public static bool IsCuda(string? name) => name is Cuda || (name is not null && CudaIndex(name) is not null);

    /// <summary>N of <c>cuda:N</c>; null for any other name (<c>cuda</c> included).</summary>
    public static int? CudaIndex(string name)
    {
        if (name is null || !name.StartsWith(CudaPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        // Digits only: no sign, no spaces, no other numerals; at most 9, so that it fits an int.
        var digits = name.Substring(CudaPrefix.Length);
        return digits.Length is >= 1 and <= 9 && digits.All(c => c is >= '0' and <= '9')
            ? int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
    }
}
