// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own),
// which writes an experiment's profile by these members' names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery.Training;
#endif

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
