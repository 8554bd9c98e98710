using System;

namespace Lottery.Training;

/// <summary>
/// The names a numerics profile is given by (<c>portable</c>, <c>native</c>). This file is compiled into both
/// Lottery.Runtime (<c>LOTTERY_NUMERICS</c>, <c>--numerics</c>) and Lottery.Generators (LTH0033 on
/// <c>[Experiment(Numerics = ...)]</c>), so the compiler and the run cannot disagree.
/// </summary>
#if LOTTERY_GENERATOR
internal
#else
public
#endif
static class NumericsName
{
    /// <summary>The portable profile's name.</summary>
    public const string Portable = "portable";

    /// <summary>The native profile's name.</summary>
    public const string Native = "native";

    /// <summary>The accepted names, as error messages list them.</summary>
    public const string Allowed = "portable (the default: the same figures on any x86-64 CPU with AVX2) or native (the fastest kernels of this machine)";

    /// <summary>Whether <paramref name="name"/> names a profile (case-insensitive); null (unset) means the default.</summary>
    public static bool IsValid(string? name) => name is null || Normalize(name) is not null;

    /// <summary>The profile's name as written here (<see cref="Portable"/> or <see cref="Native"/>), or null when <paramref name="name"/> names none.</summary>
    public static string? Normalize(string? name)
    {
        var trimmed = name?.Trim().ToLowerInvariant();
        return trimmed is Portable or Native ? trimmed : null;
    }
}
