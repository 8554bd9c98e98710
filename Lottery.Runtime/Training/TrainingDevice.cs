using System.Globalization;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Training;

/// <summary>
/// The TorchSharp device of <see cref="TrainingSettings.Device"/>, and the one-line refusal of a device this machine
/// does not have. <see cref="Runs.PruningRun"/>, <see cref="Trainer"/> and <see cref="Experiments.ExperimentRunner"/>
/// resolve it before anything is created or written, so an unavailable GPU fails before any training.
/// </summary>
/// <remarks>
/// Where a run's tensors live on a GPU: the model, its masks, the weights at initialisation and every rewind snapshot,
/// and the optimizer's state. The data sets stay on the CPU and each batch is moved as it is used (less GPU memory, and
/// the batch order, drawn on the CPU, is the same on every device). Random pruning and mask shuffles draw on the CPU
/// with the run's seeded generator and move the result, so a seed gives the same masks on every device. Every figure
/// comes back to the CPU as a number, and every file (checkpoints, tickets, pruned models, weight snapshots) holds CPU
/// tensors, which load onto any device.
/// </remarks>
public static class TrainingDevice
{
    /// <summary>Where a device comes from when <see cref="TrainingSettings.DeviceSource"/> does not say.</summary>
    public const string SettingSource = "TrainingSettings.Device";

    /// <summary>The device names accepted, as messages list them.</summary>
    public const string AllowedNames = DeviceName.Allowed;

    /// <summary>Whether <paramref name="name"/> is <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (null: unset, the CPU). Whether this machine has it is <see cref="Resolve"/>'s question.</summary>
    public static bool IsValidName(string? name) => DeviceName.IsValid(name);

    /// <summary>
    /// The device <paramref name="settings"/> names: the CPU when unset, otherwise the GPU, checked to exist here. For
    /// the CPU nothing of CUDA is touched.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The name is not a device, or CUDA or that GPU is not available: one line naming the device, where it was chosen
    /// (<see cref="TrainingSettings.DeviceSource"/>) and what to install or choose instead.
    /// </exception>
    public static Device Resolve(TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var name = settings.Device ?? DeviceName.Cpu;
        var source = settings.DeviceSource ?? SettingSource;
        if (!DeviceName.IsValid(name))
        {
            throw new ArgumentException($"Device '{name}' ({source}) is not a device; give {DeviceName.Allowed}.");
        }

        if (name == DeviceName.Cpu)
        {
            return CPU;
        }

        var instead = source.StartsWith("--", StringComparison.Ordinal) ? $"use {source} cpu" : $"use Device = \"{DeviceName.Cpu}\" (or leave Device out)";
        if (!cuda.is_available())
        {
            throw new ArgumentException(
                $"Device '{name}' ({source}) is not available: TorchSharp finds no CUDA. Add the package TorchSharp-cuda-linux (or TorchSharp-cuda-windows) "
                + $"of the TorchSharp version this project uses ({TorchSharpVersion}), and run on a machine with an NVIDIA GPU and driver; or {instead}.");
        }

        if (DeviceName.CudaIndex(name) is not { } index)
        {
            return CUDA;
        }

        var count = cuda.device_count();
        if (index >= count)
        {
            throw new ArgumentException(string.Create(
                CultureInfo.InvariantCulture,
                $"Device '{name}' ({source}) is not available: TorchSharp finds {count} CUDA GPU{(count == 1 ? string.Empty : "s")}, cuda:0{(count > 1 ? $" to cuda:{count - 1}" : string.Empty)}. Give one of them, cuda for the current one, or {instead}."));
        }

        return device(DeviceType.CUDA, index);
    }

    /// <summary>Whether a tensor on <paramref name="actual"/> is on <paramref name="wanted"/> (<c>cuda</c> without an index: any GPU).</summary>
    internal static bool Matches(Device actual, Device wanted) =>
        actual.type == wanted.type && (wanted.index < 0 || actual.index == wanted.index);

    /// <summary>The device of <paramref name="model"/>'s first parameter (or buffer); the CPU for a model with neither.</summary>
    internal static Device Of(nn.Module model)
    {
        var first = model.parameters().Cast<Tensor>().Concat(model.buffers()).FirstOrDefault();
        return first?.device ?? CPU;
    }

    /// <summary>The TorchSharp version this program runs with, as its package is numbered (for example 0.107.0).</summary>
    private static string TorchSharpVersion
    {
        get
        {
            var assembly = typeof(Tensor).Assembly;
            var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            return informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString(3) ?? "unknown";
        }
    }
}
