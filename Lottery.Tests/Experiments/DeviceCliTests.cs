namespace Lottery.Tests.Experiments;

/// <summary>
/// <c>--device</c> on the command line, as a real process: a name that is not a device is a parse error, and a GPU this
/// machine lacks (the tests reference TorchSharp-cpu only, so CUDA is never there) stops with one line and exit code 2
/// before anything is written or trained.
/// </summary>
public sealed class DeviceCliTests : IDisposable
{
    private const string Unavailable =
        "error: Device '{0}' (--device) is not available: TorchSharp finds no CUDA. Add the package TorchSharp-cuda-linux (or TorchSharp-cuda-windows) "
        + "of the TorchSharp version this project uses (0.107.0), and run on a machine with an NVIDIA GPU and driver; or use --device cpu.";

    private readonly string root = Path.Combine(Path.GetTempPath(), "lottery-device-cli-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Run_on_a_missing_gpu_is_one_line_and_writes_nothing()
    {
        // A runs folder that already holds something: it must stay exactly as it was.
        var runs = Path.Combine(root, "runs");
        Directory.CreateDirectory(Path.Combine(runs, "earlier"));

        var (code, output) = RunCliTests.Cli("run", "own-schedule", "--device", "cuda", "--out", root);

        Assert.Equal(2, code);
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, Unavailable, "cuda"), output.Trim());
        Assert.Equal([Path.Combine(runs, "earlier")], Directory.GetFileSystemEntries(runs));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(runs, "earlier")));
        Assert.Equal([runs], Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public void Imp_on_a_missing_gpu_is_the_same_one_line()
    {
        var (code, output) = RunCliTests.Cli("imp", "--device", "cuda:1", "--epochs", "1", "--rounds", "1");

        Assert.Equal(2, code);
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, Unavailable, "cuda:1"), output.Trim());
    }

    [Theory]
    [InlineData("tpu", "run", "own-schedule")]
    [InlineData("cuda:", "imp")]
    [InlineData("CUDA", "benchmark")]
    public void A_name_that_is_not_a_device_is_a_parse_error_naming_the_option(string device, params string[] command)
    {
        var (code, output) = RunCliTests.Cli([.. command, "--device", device]);

        Assert.Equal(2, code);
        var lines = output.Trim().Split('\n');
        Assert.Equal($"error: --device {device} is not valid: give cpu, cuda or cuda:N (N the index of a GPU, from 0).", lines[0]);
        Assert.True(lines.Length <= 2, output);   // the second line points to --help
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
