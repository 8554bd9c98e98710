using System;
using System.Linq;

namespace Lottery.Training;

/// <summary>Which of LibTorch's CPU kernels a process computes with, and so which figures it gets.</summary>
public enum NumericsProfile
{
    /// <summary>
    /// The default: LibTorch's vectorised kernels (ATen), oneDNN and MKL pinned to AVX2, so the same run gives
    /// bit-identical figures on every x86-64 CPU that has AVX2, Intel or AMD, with or without AVX-512.
    /// </summary>
    Portable,

    /// <summary>
    /// The fastest kernels of the machine at hand (AVX-512 where it has it): figures then match only machines that
    /// choose the same kernels, so a run's identity records which ones decided it.
    /// </summary>
    Native,
}

/// <summary>
/// The names a numerics profile is given by (<c>portable</c>, <c>native</c>). This file is compiled into both
/// Lottery.Runtime (<c>LOTTERY_NUMERICS</c>, <c>--numerics</c>) and Lottery.Generators (the check of
/// <c>[Experiment(Numerics = ...)]</c>), so the compiler and the run cannot disagree.
/// </summary>
public static class NumericsName
{
    /// <summary>The name of <see cref="NumericsProfile.Portable"/>.</summary>
    public const string Portable = "portable";

    /// <summary>The name of <see cref="NumericsProfile.Native"/>.</summary>
    public const string Native = "native";

    /// <summary>The accepted names, as error messages list them.</summary>
    public const string Allowed = "portable (the default: the same figures on any x86-64 CPU with AVX2) or native (the fastest kernels of this machine)";

    /// <summary>Whether <paramref name="name"/> names a profile (case-insensitive); null (unset) means the default.</summary>
    public static bool IsValid(string? name) => name is null || TryParse(name, out _);

    /// <summary>The profile <paramref name="name"/> names, case-insensitive and trimmed.</summary>
    public static bool TryParse(string? name, out NumericsProfile profile)
    {
        var trimmed = name?.Trim().ToLowerInvariant();
        profile = trimmed == Native ? NumericsProfile.Native : NumericsProfile.Portable;
        return trimmed is Portable or Native;
    }

    /// <summary>The name of <paramref name="profile"/>.</summary>
    public static string Of(NumericsProfile profile) => profile == NumericsProfile.Native ? Native : Portable;
}
