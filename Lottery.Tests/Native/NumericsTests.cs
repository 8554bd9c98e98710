using System.Runtime.Intrinsics.X86;
using Lottery.Native;
using Lottery.Tests.Experiments;
using Lottery.Tests.Scale;
using Lottery.Training;

namespace Lottery.Tests.Native;

/// <summary>
/// The portable numerics profile: LibTorch's kernels pinned to AVX2 in this process, in worker processes and in a
/// native run's own identity; the figures of an AVX2-only machine reproduced exactly whatever this machine's CPU.
/// </summary>
public sealed class NumericsTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-numerics-" + Guid.NewGuid().ToString("N"));

    /// <summary>What LibTorch's ATen reports on this CPU without the profile, from .NET's own view of the CPU (ATen's AVX-512 kernels need F, BW, DQ and VL).</summary>
    private static string NativeKernels => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported ? "AVX512" : "AVX2";

    [Fact]
    public void This_process_computes_with_the_portable_profile_as_LibTorch_and_the_native_environment_report_it()
    {
        Assert.True(Numerics.PortableSupported, "these tests run on x86-64 machines with AVX2");
        Assert.Equal(NumericsProfile.Portable, Numerics.Profile);
        Assert.Equal("avx2", Numerics.NativeVariable("ATEN_CPU_CAPABILITY"));
        Assert.Equal("AVX2", Numerics.NativeVariable("ONEDNN_MAX_CPU_ISA"));
        Assert.Equal("AVX2", Numerics.NativeVariable("MKL_CBWR"));
        Assert.Equal("AVX2", Numerics.CpuCapability);

        // Fixed once LibTorch has computed: another profile is refused with what to do, the same one is accepted.
        Numerics.Use(NumericsProfile.Portable);
        var error = Assert.Throws<InvalidOperationException>(() => Numerics.Use(NumericsProfile.Native));
        Assert.Contains("already portable", error.Message, StringComparison.Ordinal);
        Assert.Contains("LOTTERY_NUMERICS=native", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_declared_profile_reaches_the_experiment_and_is_refused_where_LibTorch_already_computes_with_another()
    {
        Assert.Equal(NumericsProfile.Native, NativeNumericsExperiment.Definition.Numerics);
        Numerics.Verify(); // This process computes with the portable profile from here on, whatever ran before.

        var error = Assert.Throws<InvalidOperationException>(() => NativeNumericsExperiment.Run(root));
        Assert.StartsWith("The numerics profile of this process is already portable", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root), "nothing is written");
    }

    [Fact]
    public void The_small_experiment_under_the_portable_profile_equals_the_AVX2_machine_reference_in_every_figure()
    {
        var output = Path.Combine(root, "small");
        var (code, text) = RunCliTests.Cli("run", "lenet-300-100-mnist-digits", "--seeds", "1", "--epochs", "4", "--rounds", "4", "--points", "1", "3", "--workers", "1", "--threads", "1", "--out", output);
        Assert.True(code == 0, text);
        var reference = Path.Combine(Lottery.Tests.Generators.DiagnosticTests.RepositoryRoot(), "docs", "results", "reference-avx2", "lenet-300-100-mnist-digits-small.summary.csv");
        Assert.Equal(FiguresOf(reference), FiguresOf(Path.Combine(output, "lenet-300-100-mnist-digits", "summary.csv")));
    }

    [Fact]
    public void Native_and_portable_runs_have_identities_of_their_own_and_never_read_each_other_back()
    {
        var output = Path.Combine(root, "both");

        // Portable, on two worker processes: each began its runs with LibTorch's AVX2 kernels.
        var (code, text) = RunCliTests.Cli("run", LotteryProcess.Experiment, "--seeds", "1", "--workers", "2", "--out", output);
        Assert.True(code == 0, text);
        var portableRuns = Directory.GetDirectories(Path.Combine(output, "runs")).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(10, portableRuns.Count);
        Assert.All(LotteryProcess.BeganWith(output), b => Assert.Equal(LotteryProcess.PortableKernels, b));
        Assert.Contains("\"Numerics\": \"portable", File.ReadAllText(Path.Combine(output, LotteryProcess.Experiment, "experiment.json")), StringComparison.Ordinal);

        // Native, from the command line, on two workers (which get it too): nothing is read back; ten new runs, computed
        // with this machine's own kernels.
        (code, text) = RunCliTests.Cli("run", LotteryProcess.Experiment, "--seeds", "1", "--workers", "2", "--numerics", "native", "--out", output);
        Assert.True(code == 0, text);
        Assert.DoesNotContain("(saved result)", text, StringComparison.Ordinal);
        var all = Directory.GetDirectories(Path.Combine(output, "runs")).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(20, all.Count);
        var began = LotteryProcess.BeganWith(output);
        Assert.Equal(10, began.Count(b => b == $"native numerics, LibTorch's {NativeKernels} kernels"));
        var record = File.ReadAllText(Path.Combine(output, LotteryProcess.Experiment, "experiment.json"));
        Assert.Contains($"\"Numerics\": \"native ({NativeKernels} kernels;", record, StringComparison.Ordinal);

        // The environment variable chooses the same native identity (read back), and the default reads the portable runs back.
        var start = LotteryProcess.StartInfo(["run", LotteryProcess.Experiment, "--seeds", "1", "--workers", "1", "--out", output], [new(Numerics.ProfileVariable, "native")]);
        (code, text) = LotteryProcess.RunToEnd(start, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, text);
        Assert.Equal(10, text.Split('\n').Count(l => l.Contains("(saved result)", StringComparison.Ordinal)));
        (code, text) = RunCliTests.Cli("run", LotteryProcess.Experiment, "--seeds", "1", "--workers", "1", "--out", output);
        Assert.True(code == 0, text);
        Assert.Equal(10, text.Split('\n').Count(l => l.Contains("(saved result)", StringComparison.Ordinal)));
        Assert.Equal(20, Directory.GetDirectories(Path.Combine(output, "runs")).Length);
    }

    [Fact]
    public void A_profile_that_does_not_exist_is_one_line_naming_where_it_was_given()
    {
        var (code, text) = RunCliTests.Cli("run", LotteryProcess.Experiment, "--numerics", "fastest", "--out", Path.Combine(root, "wrong"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: --numerics fastest is not valid", text.Trim(), StringComparison.Ordinal);

        var start = LotteryProcess.StartInfo(["run", LotteryProcess.Experiment, "--seeds", "1", "--out", Path.Combine(root, "wrong")], [new(Numerics.ProfileVariable, "avx512")]);
        (code, text) = LotteryProcess.RunToEnd(start, TimeSpan.FromMinutes(1));
        Assert.Equal(2, code);
        var lines = text.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Equal("error: LOTTERY_NUMERICS='avx512' names no numerics profile: set it to portable (the default: the same figures on any x86-64 CPU with AVX2) or native (the fastest kernels of this machine), or unset it for the default.", lines[0]);
        Assert.False(Directory.Exists(Path.Combine(root, "wrong", "runs")) && Directory.EnumerateFileSystemEntries(Path.Combine(root, "wrong", "runs")).Any(), "nothing was written");
    }

    [Fact]
    public void A_CPU_without_AVX2_is_one_line_that_says_so_and_what_to_do_and_nothing_is_written()
    {
        // .NET's own switch hides AVX2 from the process, as a CPU below the floor would.
        var output = Path.Combine(root, "no-avx2");
        var start = LotteryProcess.StartInfo(["run", LotteryProcess.Experiment, "--seeds", "1", "--workers", "1", "--out", output], [new("DOTNET_EnableAVX2", "0")]);
        var (code, text) = LotteryProcess.RunToEnd(start, TimeSpan.FromMinutes(1));
        Assert.Equal(2, code);
        var lines = text.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: The portable numerics profile pins LibTorch to x86-64's AVX2 kernels, and .NET finds no AVX2 and FMA on this CPU (", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("Run with --numerics native (LOTTERY_NUMERICS=native, or Numerics.Use(NumericsProfile.Native) in code): its figures then match only machines that choose the same kernels.", lines[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "nothing is written");
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Every row's columns 1 to 12 (all but seconds and run names), the experiment's name left out.</summary>
    private static List<string> FiguresOf(string summary) =>
        File.ReadAllLines(summary).Skip(1).Select(l => string.Join(',', l.Split(',').Skip(1).Take(11))).ToList();
}

/// <summary>An experiment declared with the native profile.</summary>
#pragma warning disable LTH0009
[Lottery.Experiment(typeof(Lottery.Examples.Models.LeNet300100), Name = "native-numerics", Epochs = 1, Numerics = "Native", Schedules = new[] { "EveryEpochMagnitude" })]
internal static partial class NativeNumericsExperiment;
#pragma warning restore LTH0009
