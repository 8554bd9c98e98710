using System.Runtime.CompilerServices;
using Lottery.Native;

// TorchSharp's random generator is process-wide: tests that seed it must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Lottery.Tests;

internal static class AssemblySetup
{
    // Some tests call TorchSharp before touching any Lottery type.
    [ModuleInitializer]
    internal static void Initialize() => TorchSharpNative.EnsureLoaded();
}
