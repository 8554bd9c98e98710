using System.Security.Cryptography;
using Lottery.Native;
using static TorchSharp.torch;

namespace Lottery.Tests.Native;

public class TorchSharpNativeTests
{
    private static string ShimInOutput()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"expected TorchSharp's native shim at {path}");
        return path;
    }

    /// <summary>Whether the libstdc++ mapped into this process names <paramref name="version"/> (a version it defines is a NUL-terminated string in its dynamic strings).</summary>
    private static bool MappedLibStdCxxDefines(string version)
    {
        var path = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libstdc++.so", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .FirstOrDefault();
        Assert.True(path is not null, "libstdc++ is mapped into the test process");
        return File.ReadAllBytes(path!).AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(version + "\0")) >= 0;
    }

    [Fact]
    public void The_shim_needs_GLIBCXX_3_4_32_and_the_patch_marks_only_that_requirement_weak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var original = File.ReadAllBytes(ShimInOutput());
        var before = ElfVersionPatcher.ReadVersionRequirements(original);
        Assert.Contains((TorchSharpNative.RequiredVersion, false), before);

        var patched = (byte[])original.Clone();
        Assert.Equal(1, ElfVersionPatcher.MarkVersionRequirementWeak(patched, TorchSharpNative.RequiredVersion));
        var after = ElfVersionPatcher.ReadVersionRequirements(patched);
        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Version, after[i].Version);
            Assert.Equal(before[i].Version == TorchSharpNative.RequiredVersion || before[i].Weak, after[i].Weak);
        }

        // A two-byte flags field of which one bit changed: exactly one byte differs.
        Assert.Equal(1, original.Zip(patched).Count(p => p.First != p.Second));

        // Patching again changes nothing.
        Assert.Equal(0, ElfVersionPatcher.MarkVersionRequirementWeak(patched, TorchSharpNative.RequiredVersion));
    }

    [Fact]
    public void The_fix_is_applied_exactly_when_the_system_libstdcxx_lacks_the_version_and_TorchSharp_then_runs()
    {
        var outcome = TorchSharpNative.EnsureLoaded();
        if (!OperatingSystem.IsLinux())
        {
            Assert.Equal(NativeLoadOutcome.NotNeeded, outcome);
            return;
        }

        // The expectation comes from the bytes of the libstdc++ this process has mapped, not from the runtime's own predicate (a dlvsym lookup).
        var systemHasIt = MappedLibStdCxxDefines(TorchSharpNative.RequiredVersion);
        Assert.Equal(systemHasIt, TorchSharpNative.SystemLibStdCxxHas(TorchSharpNative.RequiredVersion));
        Assert.Equal(systemHasIt ? NativeLoadOutcome.NotNeeded : NativeLoadOutcome.PatchedCopyLoaded, outcome);
        if (!systemHasIt)
        {
            Assert.NotNull(TorchSharpNative.PatchedLibraryPath);
            var patched = File.ReadAllBytes(TorchSharpNative.PatchedLibraryPath!);
            Assert.Contains((TorchSharpNative.RequiredVersion, true), ElfVersionPatcher.ReadVersionRequirements(patched));
        }

        using var sum = ones(3, 4).sum();
        Assert.Equal(12f, sum.item<float>());
    }

    [Fact]
    public void The_file_in_the_build_output_and_the_NuGet_cache_is_never_modified()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        TorchSharpNative.EnsureLoaded();
        Assert.Contains((TorchSharpNative.RequiredVersion, false), ElfVersionPatcher.ReadVersionRequirements(File.ReadAllBytes(ShimInOutput())));
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var inCache = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(inCache))
        {
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(ShimInOutput())), SHA256.HashData(File.ReadAllBytes(inCache)));
        }
    }

    [Fact]
    public void Every_assembly_that_references_the_runtime_gets_the_native_initializer()
    {
        // Compiled in from Lottery.Runtime's buildTransitive targets, so that a program whose first call is
        // a TorchSharp call (not a Lottery one) still gets the fix.
        const string initializer = "Lottery.Native.Generated.LotteryNativeInitializer";
        Assert.NotNull(typeof(TorchSharpNativeTests).Assembly.GetType(initializer));
        Assert.NotNull(typeof(Lottery.Examples.Models.LeNet300100).Assembly.GetType(initializer));
        Assert.Null(typeof(TorchSharpNative).Assembly.GetType(initializer));
    }

    [Fact]
    public void The_patched_copy_is_written_once_and_reused()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"lottery-native-{Guid.NewGuid():N}");
        try
        {
            var first = TorchSharpNative.WritePatchedCopy(ShimInOutput(), folder);
            var written = File.GetLastWriteTimeUtc(first);
            var second = TorchSharpNative.WritePatchedCopy(ShimInOutput(), folder);
            Assert.Equal(first, second);
            Assert.Equal(written, File.GetLastWriteTimeUtc(second));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(first)!));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "not an ELF file")]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "64-bit")]
    public void Bytes_that_are_not_a_64_bit_ELF_library_are_refused(byte[] bytes, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.MarkVersionRequirementWeak(bytes, "X"));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_truncated_ELF_file_is_refused()
    {
        var original = File.ReadAllBytes(ShimInOutput());
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.ReadVersionRequirements(original.AsSpan(0, 4096)));
        Assert.Contains("truncated", error.Message);
    }
}
