using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Lottery.Training;

namespace Lottery.Native;

/// <summary>
/// Pins LibTorch's CPU kernels to a stated instruction-set level (<see cref="NumericsProfile.Portable"/>, the default)
/// or leaves it the machine's choice (<see cref="NumericsProfile.Native"/>), for the whole process.
/// </summary>
/// <remarks>
/// LibTorch picks its vectorised kernels (ATen's CPU capability), oneDNN's instruction set and MKL's code path from
/// the CPU when it first uses them, and AVX-512 kernels sum in another order than AVX2 ones, so the same seed gives
/// other figures on another CPU. The portable profile sets <c>ATEN_CPU_CAPABILITY=avx2</c>,
/// <c>ONEDNN_MAX_CPU_ISA=AVX2</c> and <c>MKL_CBWR=AVX2</c> (MKL's conditional numerical reproducibility) in the
/// process's native environment (the C library's <c>setenv</c>: .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not reach it on Linux) before LibTorch's first use; the module initializer that every assembly referencing
/// Lottery.Runtime compiles in does this before <c>Main</c>. The profile is read from <c>LOTTERY_NUMERICS</c>
/// (<c>portable</c> or <c>native</c>); <see cref="Use"/>, <c>--numerics</c> and <c>[Experiment(Numerics = ...)]</c>
/// change it until LibTorch's first computation, after which it is fixed for the process.
/// </remarks>
public static partial class Numerics
{
    /// <summary>The environment variable that chooses the profile of a process (<c>portable</c> or <c>native</c>).</summary>
    public const string ProfileVariable = "LOTTERY_NUMERICS";

    /// <summary>What a portable run's identity records: the same on every machine.</summary>
    public const string PortableIdentity = "portable (ATen, oneDNN and MKL pinned to AVX2)";

    /// <summary>The native variables the portable profile sets, with their values: ATen's kernels, oneDNN's instruction set, MKL's code path.</summary>
    public static IReadOnlyList<(string Name, string Value)> PortableVariables { get; } =
    [
        ("ATEN_CPU_CAPABILITY", "avx2"),
        ("ONEDNN_MAX_CPU_ISA", "AVX2"),
        ("MKL_CBWR", "AVX2"),
    ];

    private const string CapabilitySymbol = "_ZN2at18get_cpu_capabilityB5cxx11Ev";
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, string?> Inherited = new(StringComparer.Ordinal);
    private static NumericsProfile profile;
    private static bool initialized;
    private static bool fixedByUse;
    private static string? variableProblem;
    private static string? capability;

    /// <summary>The profile of this process.</summary>
    public static NumericsProfile Profile
    {
        get
        {
            Initialize();
            lock (Gate)
            {
                return profile;
            }
        }
    }

    /// <summary>
    /// Sets the profile of this process. Call it before the first TorchSharp computation (at the top of <c>Main</c>);
    /// choosing the profile in force again is always allowed.
    /// </summary>
    /// <exception cref="InvalidOperationException">LibTorch has already chosen its kernels under another profile.</exception>
    public static void Use(NumericsProfile wanted)
    {
        Initialize();
        lock (Gate)
        {
            if (wanted == profile)
            {
                return;
            }

            if (fixedByUse)
            {
                throw new InvalidOperationException($"The numerics profile of this process is already {NameOf(profile)}: LibTorch chose its kernels when it first computed, and they stay for the process. Choose {NameOf(wanted)} before the first TorchSharp computation (Numerics.Use at the top of Main, --numerics {NameOf(wanted)}, or {ProfileVariable}={NameOf(wanted)} in the environment).");
            }

            Apply(wanted);
            variableProblem = null;
        }
    }

    /// <summary>Whether this machine can run the portable profile: an x86-64 CPU with AVX2 and FMA.</summary>
    public static bool PortableSupported => RuntimeInformation.ProcessArchitecture == Architecture.X64 && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Checks that this process computes as its profile says, before anything is trained or evaluated: the profile
    /// can run here, and LibTorch reports the kernels it pins. Fixes the profile for the process.
    /// </summary>
    /// <exception cref="NotSupportedException">The portable profile cannot run on this machine (no AVX2, or not x86-64); the message says what to do.</exception>
    /// <exception cref="InvalidOperationException"><c>LOTTERY_NUMERICS</c> names no profile, or LibTorch chose other kernels than the profile pins.</exception>
    public static void Verify()
    {
        Initialize();
        lock (Gate)
        {
            if (variableProblem is not null)
            {
                throw new InvalidOperationException(variableProblem);
            }

            if (profile == NumericsProfile.Portable && !PortableSupported)
            {
                var machine = RuntimeInformation.ProcessArchitecture == Architecture.X64
                    ? ".NET finds no AVX2 and FMA on this CPU"
                    : $"this is a {RuntimeInformation.ProcessArchitecture} machine, not x86-64";
                throw new NotSupportedException($"The portable numerics profile pins LibTorch to x86-64's AVX2 kernels, and {machine} ({CpuDescription()}). Run with --numerics native ({ProfileVariable}=native, or Numerics.Use(NumericsProfile.Native) in code): its figures then match only machines that choose the same kernels.");
            }

            fixedByUse = true;
            var reported = CpuCapabilityLocked();
            if (profile == NumericsProfile.Native && reported == "AVX2" && Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported)
            {
                throw new InvalidOperationException($"LibTorch computes with its AVX2 kernels although the native profile was chosen on a CPU with AVX-512: it had already computed under the portable profile when the profile was changed. Choose native before the first TorchSharp computation: --numerics native, {ProfileVariable}=native in the environment, or Numerics.Use(NumericsProfile.Native) at the top of Main.");
            }

            if (profile == NumericsProfile.Portable && reported is not null && reported != "AVX2")
            {
                throw new InvalidOperationException($"LibTorch computes with its {reported} kernels although the portable profile pins AVX2: it chose them before Lottery could pin them (a TorchSharp computation before Lottery.Runtime was first used, with the module initializer turned off by LotteryNativeInitializer=false?). Call Lottery.Native.Numerics.Use(NumericsProfile.Portable) at the top of Main, or set ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_CBWR=AVX2 in the environment.");
            }
        }
    }

    /// <summary>
    /// What decides this process's figures, as a run's identity records it: <see cref="PortableIdentity"/>, the same on
    /// every machine, or for the native profile the kernels LibTorch chose, the CPU and any of the three variables the
    /// environment set. Fixes the profile for the process.
    /// </summary>
    public static string Identity
    {
        get
        {
            Initialize();
            lock (Gate)
            {
                fixedByUse = true;
                if (profile == NumericsProfile.Portable)
                {
                    return PortableIdentity;
                }

                var set = PortableVariables.Select(v => (v.Name, Value: NativeEnvironment.Get(v.Name))).Where(v => v.Value is not null).Select(v => $"{v.Name}={v.Value}").ToList();
                return $"native ({CpuCapabilityLocked() ?? "kernels unknown"} kernels; {CpuDescription()}{(set.Count > 0 ? "; " + string.Join(", ", set) : string.Empty)})";
            }
        }
    }

    /// <summary>
    /// The CPU capability LibTorch's ATen computes with, as it reports it (<c>AVX512</c>, <c>AVX2</c>, <c>NO AVX</c>, ...),
    /// or null where it cannot be asked. Asking fixes the profile for the process.
    /// </summary>
    public static string? CpuCapability
    {
        get
        {
            Initialize();
            lock (Gate)
            {
                fixedByUse = true;
                return CpuCapabilityLocked();
            }
        }
    }

    /// <summary>The profile <paramref name="name"/> names (<c>portable</c> or <c>native</c>, case-insensitive).</summary>
    public static bool TryParse(string? name, out NumericsProfile parsed)
    {
        var normalized = NumericsName.Normalize(name);
        parsed = normalized == NumericsName.Native ? NumericsProfile.Native : NumericsProfile.Portable;
        return normalized is not null;
    }

    /// <summary>The name of <paramref name="profile"/> (<c>portable</c> or <c>native</c>).</summary>
    public static string NameOf(NumericsProfile profile) => profile == NumericsProfile.Native ? NumericsName.Native : NumericsName.Portable;

    /// <summary>The value of <paramref name="name"/> in the process's native environment, as LibTorch reads it.</summary>
    public static string? NativeVariable(string name) => NativeEnvironment.Get(name);

    /// <summary>The CPU, as the operating system names it: vendor, family, model and model name on Linux.</summary>
    public static string CpuDescription()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                var fields = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Trim().Length > 0)
                    .Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                    .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
                string Field(string key) => fields.TryGetValue(key, out var value) ? value : "?";
                if (fields.ContainsKey("vendor_id"))
                {
                    return $"{Field("vendor_id")} family {Field("cpu family")} model {Field("model")}, {Field("model name")}";
                }
            }
        }
        catch (IOException)
        {
        }

        return $"{RuntimeInformation.ProcessArchitecture} CPU";
    }

    /// <summary>Reads the profile from <c>LOTTERY_NUMERICS</c> and applies it; called once, before LibTorch loads.</summary>
    internal static void Initialize()
    {
        lock (Gate)
        {
            if (initialized)
            {
                return;
            }

            initialized = true;
            foreach (var (name, _) in PortableVariables)
            {
                Inherited[name] = NativeEnvironment.Get(name);
            }

            // Unset, or a name that is no profile (reported by Verify): the portable profile.
            var configured = Environment.GetEnvironmentVariable(ProfileVariable);
            if (!TryParse(configured, out var chosen) && !string.IsNullOrWhiteSpace(configured))
            {
                variableProblem = $"{ProfileVariable}='{configured}' names no numerics profile: set it to {NumericsName.Allowed}, or unset it for the default.";
            }

            Apply(chosen);
        }
    }

    private static void Apply(NumericsProfile wanted)
    {
        profile = wanted;
        foreach (var (name, value) in PortableVariables)
        {
            // Native: what the environment held before Lottery changed it (a user's own choice stays theirs).
            var target = wanted == NumericsProfile.Portable && PortableSupported ? value : Inherited[name];
            NativeEnvironment.Set(name, target);
        }
    }

    private static string? CpuCapabilityLocked()
    {
        if (capability is not null)
        {
            return capability;
        }

        // The first computation loads LibTorch (and, where needed, TorchSharp's fixed native shim) by TorchSharp's rules.
        using (TorchSharp.torch.ones(1))
        {
        }

        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library) || !NativeLibrary.TryGetExport(library, CapabilitySymbol, out var function))
        {
            return null;
        }

        capability = CallReturningString(function);
        return capability;
    }

    /// <summary>Calls a C++ function of no arguments that returns a <c>std::string</c> (libstdc++'s layout: data, length, 16 bytes of inline buffer).</summary>
    private static unsafe string CallReturningString(IntPtr function)
    {
        // The Itanium ABI returns a class with a non-trivial destructor through a hidden first argument.
        var storage = stackalloc byte[64];
        var call = (delegate* unmanaged<byte*, byte*>)function;
        call(storage);
        var data = *(byte**)storage;
        var length = (int)*(nuint*)(storage + 8);
        // Capability names fit the inline buffer; a longer one would be on the heap and is left there (it is asked once).
        return System.Text.Encoding.ASCII.GetString(data, length);
    }

    private static partial class NativeEnvironment
    {
        public static string? Get(string name)
        {
            if (!OperatingSystem.IsLinux())
            {
                return Environment.GetEnvironmentVariable(name);
            }

            var value = getenv(name);
            return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
        }

        public static void Set(string name, string? value)
        {
            // On Linux the C library keeps its own environment, which .NET's setter does not change; elsewhere .NET's setter reaches LibTorch.
            if (!OperatingSystem.IsLinux())
            {
                Environment.SetEnvironmentVariable(name, value);
                return;
            }

            var status = value is null ? unsetenv(name) : setenv(name, value, 1);
            if (status != 0)
            {
                throw new InvalidOperationException($"Cannot set {name} in the process's environment (error {Marshal.GetLastPInvokeError()}).");
            }
        }

        [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
        private static partial IntPtr getenv(string name);

        [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static partial int setenv(string name, string value, int overwrite);

        [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static partial int unsetenv(string name);
    }
}
