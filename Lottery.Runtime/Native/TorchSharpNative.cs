using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Lottery.Native;

/// <summary>What <see cref="TorchSharpNative.EnsureLoaded"/> found and did.</summary>
public enum NativeLoadOutcome
{
    /// <summary>Not Linux, or the system's libstdc++ provides the version TorchSharp needs: nothing done.</summary>
    NotNeeded,

    /// <summary>A patched copy of libLibTorchSharp.so was loaded before TorchSharp's first call.</summary>
    PatchedCopyLoaded,

    /// <summary>The fix was needed but libLibTorchSharp.so was not found next to the program.</summary>
    LibraryNotFound,
}

/// <summary>
/// Makes TorchSharp 0.107 load on Linux systems whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).
/// </summary>
/// <remarks>
/// Runs automatically when Lottery.Runtime is first used (a module initializer), before any TorchSharp
/// call the runtime makes. Only where the loaded libstdc++ lacks <c>GLIBCXX_3.4.32</c>, it writes a copy
/// of <c>libLibTorchSharp.so</c> whose requirement of that version is marked weak (see
/// <see cref="ElfVersionPatcher"/>) to a per-user cache folder, and loads it after LibTorch's own
/// libraries. TorchSharp's later lookup of <c>libLibTorchSharp.so</c> by name then finds the loaded copy
/// (same soname). The file in the NuGet cache and the build output are never modified.
/// Set <c>LOTTERY_NATIVE_CACHE</c> to choose the cache folder.
/// </remarks>
public static partial class TorchSharpNative
{
    /// <summary>The libstdc++ symbol version TorchSharp 0.107's native shim requires.</summary>
    public const string RequiredVersion = "GLIBCXX_3.4.32";

    private const string ShimFileName = "libLibTorchSharp.so";
    private const string AnchorSymbol = "_ZSt21ios_base_library_initv";
    private static readonly Lock Gate = new();
    private static NativeLoadOutcome? outcome;

    /// <summary>The folder the patched copy was written to, when one was.</summary>
    public static string? PatchedLibraryPath { get; private set; }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "TorchSharp must load the patched shim before its first native call, whichever Lottery type is touched first.")]
    internal static void InitializeModule() => EnsureLoaded();

    /// <summary>Applies the fix if this system needs it. Safe to call many times and from many threads.</summary>
    public static NativeLoadOutcome EnsureLoaded()
    {
        lock (Gate)
        {
            // The numerics profile's variables must be in the native environment before LibTorch loads and first computes.
            Numerics.Initialize();
            return outcome ??= Load();
        }
    }

    /// <summary>Whether the process's libstdc++ provides <paramref name="version"/> of std::ios_base_library_init.</summary>
    public static bool SystemLibStdCxxHas(string version)
    {
        if (!NativeLibrary.TryLoad("libstdc++.so.6", out var libstdcxx))
        {
            return false;
        }

        try
        {
            return DynamicLinker.VersionedSymbol(libstdcxx, AnchorSymbol, version) != IntPtr.Zero;
        }
        finally
        {
            NativeLibrary.Free(libstdcxx);
        }
    }

    /// <summary>
    /// Returns the path of a patched copy of <paramref name="shimPath"/> in <paramref name="cacheFolder"/>,
    /// writing it (atomically) only when no identical copy is there yet.
    /// </summary>
    public static string WritePatchedCopy(string shimPath, string cacheFolder)
    {
        var original = File.ReadAllBytes(shimPath);
        var hash = Convert.ToHexStringLower(SHA256.HashData(original))[..16];
        var folder = Path.Combine(cacheFolder, hash);
        var target = Path.Combine(folder, ShimFileName);
        if (File.Exists(target))
        {
            return target;
        }

        ElfVersionPatcher.MarkVersionRequirementWeak(original, RequiredVersion);
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $"{ShimFileName}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temporary, original);
        File.Move(temporary, target, overwrite: true);
        return target;
    }

    /// <summary>The per-user folder for patched native libraries.</summary>
    public static string DefaultCacheFolder()
    {
        var configured = Environment.GetEnvironmentVariable("LOTTERY_NATIVE_CACHE");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        if (string.IsNullOrWhiteSpace(root) || root == ".cache")
        {
            root = Path.GetTempPath();
        }

        return Path.Combine(root, "lottery", "native");
    }

    private static NativeLoadOutcome Load()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || SystemLibStdCxxHas(RequiredVersion))
        {
            return NativeLoadOutcome.NotNeeded;
        }

        var folders = NativeSearchFolders();
        var shim = Find(folders, ShimFileName);
        if (shim is null)
        {
            return NativeLoadOutcome.LibraryNotFound;
        }

        // The copy lives outside LibTorch's folder, so its $ORIGIN run path cannot find LibTorch:
        // load LibTorch's libraries first from where the program has them; the copy's needs then
        // resolve by soname.
        foreach (var dependency in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var path = Find(folders, dependency);
            if (path is not null)
            {
                NativeLibrary.Load(path);
            }
        }

        PatchedLibraryPath = WritePatchedCopy(shim, DefaultCacheFolder());
        NativeLibrary.Load(PatchedLibraryPath);
        return NativeLoadOutcome.PatchedCopyLoaded;
    }

    private static string? Find(IEnumerable<string> folders, string fileName) =>
        folders.Select(folder => Path.Combine(folder, fileName)).FirstOrDefault(File.Exists);

    private static List<string> NativeSearchFolders()
    {
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
        {
            folders.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }

        var baseFolder = AppContext.BaseDirectory;
        folders.Add(Path.Combine(baseFolder, "runtimes", "linux-x64", "native"));
        folders.Add(baseFolder);
        var assemblyFolder = Path.GetDirectoryName(typeof(TorchSharpNative).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyFolder))
        {
            folders.Add(Path.Combine(assemblyFolder, "runtimes", "linux-x64", "native"));
            folders.Add(assemblyFolder);
        }

        return folders.Distinct().ToList();
    }

    private static partial class DynamicLinker
    {
        public static IntPtr VersionedSymbol(IntPtr library, string symbol, string version)
        {
            // glibc 2.34 and later export dlvsym from libc; older ones from libdl.
            try
            {
                return LibC.dlvsym(library, symbol, version);
            }
            catch (EntryPointNotFoundException)
            {
                return LibDl.dlvsym(library, symbol, version);
            }
        }

        private static partial class LibC
        {
            [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
            internal static partial IntPtr dlvsym(IntPtr handle, string symbol, string version);
        }

        private static partial class LibDl
        {
            [LibraryImport("libdl.so.2", StringMarshalling = StringMarshalling.Utf8)]
            internal static partial IntPtr dlvsym(IntPtr handle, string symbol, string version);
        }
    }
}
