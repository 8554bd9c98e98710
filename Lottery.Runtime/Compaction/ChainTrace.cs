using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>Checks that every module of a chain is one compaction understands, and records the shapes a sample takes through it.</summary>
internal static class ChainTrace
{
    /// <summary>The modules compaction accepts, as error messages list them.</summary>
    public const string Supported =
        "Linear, Conv1d and Conv2d (groups = 1), BatchNorm1d/2d (with running statistics), MaxPool1d/2d, AvgPool1d/2d, Flatten, " +
        "Dropout/Dropout1d/Dropout2d, Identity, and the activations ReLU, LeakyReLU, Tanh, Sigmoid, GELU, ELU and SiLU";

    /// <summary>
    /// Classifies each module of <paramref name="chain"/> and runs a zero sample of <paramref name="inputShape"/> through it
    /// (batch of one, in evaluation mode, which the caller sets), module by module.
    /// </summary>
    /// <exception cref="NotSupportedException">A module is not supported, or is used on a shape where it mixes units.</exception>
    /// <exception cref="ArgumentException">The chain cannot run on a sample of <paramref name="inputShape"/>.</exception>
    public static IReadOnlyList<ChainLink> Trace(Sequential chain, long[] inputShape)
    {
        var children = chain.named_children().ToList();
        var kinds = children.Select((child, index) => Classify(index, child.name, child.module)).ToList();
        using var scope = NewDisposeScope();
        var sample = ZeroSample(chain, inputShape);
        var links = new List<ChainLink>(children.Count);
        for (var index = 0; index < children.Count; index++)
        {
            var (name, module) = children[index];
            var shape = sample.shape[1..];
            var link = new ChainLink(index, name, module, kinds[index], shape, shape, sample.dtype, sample.device);
            CheckShape(link);
            try
            {
                sample = link.Call(sample);
            }
            catch (Exception error) when (error is ArgumentException or InvalidOperationException or ExternalException)
            {
                throw new ArgumentException(
                    $"The chain does not run on a sample of shape [{string.Join(", ", inputShape)}]: {link.Description} fails on input [{string.Join(", ", shape)}] ({error.Message}). Give Compact the shape of one sample, without the batch axis.",
                    nameof(inputShape),
                    error);
            }

            links.Add(link with { OutputShape = sample.shape[1..] });
        }

        return links;
    }

    /// <summary>A batch of one zero sample of <paramref name="inputShape"/>, of the type and on the device of the chain's parameters.</summary>
    public static Tensor ZeroSample(nn.Module chain, IReadOnlyList<long> inputShape)
    {
        var dtype = chain.parameters().Select(p => p.dtype).DefaultIfEmpty(ScalarType.Float32).First();
        var device = chain.parameters().Select(p => p.device).FirstOrDefault() ?? CPU;
        return zeros([1, .. inputShape], dtype, device);
    }

    private static LinkKind Classify(int index, string name, nn.Module module)
    {
        var description = $"Module {index} ('{name}') of the chain is a {module.GetType().Name}";
        return module switch
        {
            Conv1d { groups: not 1 } or Conv2d { groups: not 1 } => throw new NotSupportedException(
                $"{description} with groups = {((Convolution)module).groups}; compaction supports convolutions with groups = 1 only (a grouped convolution ties its channels to groups)."),
            Linear or Conv1d or Conv2d => LinkKind.Prunable,
            ReLU or LeakyReLU or Tanh or Sigmoid or GELU or ELU or SiLU => LinkKind.Elementwise,
            BatchNorm { track_running_stats: false } => throw new NotSupportedException(
                $"{description} without running statistics, which normalises by the batch even at inference; compaction needs BatchNorm with track_running_stats = true."),
            BatchNorm1d or BatchNorm2d => LinkKind.BatchNorm,
            MaxPool1d or MaxPool2d or AvgPool1d or AvgPool2d => LinkKind.Pool,
            Flatten => LinkKind.Flatten,
            Identity or Dropout or Dropout1d or Dropout2d => LinkKind.Passthrough,
            _ => throw new NotSupportedException($"{description}, which compaction does not support. Supported modules: {Supported}."),
        };
    }

    /// <summary>Refuses a module used on a sample shape where it would mix the units of the axis compaction slices (axis 0 of a sample).</summary>
    private static void CheckShape(ChainLink link)
    {
        var rank = link.InputShape.Length;
        var (allowed, expected) = link.Module switch
        {
            Linear => (rank == 1, "a sample of one axis (features); put a Flatten before it"),
            Conv1d or MaxPool1d or AvgPool1d => (rank == 2, "a sample of two axes (channels, length)"),
            Conv2d or MaxPool2d or AvgPool2d or BatchNorm2d => (rank == 3, "a sample of three axes (channels, height, width)"),
            BatchNorm1d => (rank is 1 or 2, "a sample of one or two axes (features, or channels and length)"),
            Flatten flatten => (Normalise(flatten.start_dim, rank + 1) >= 1, "a start_dim after the batch axis"),
            _ => (true, string.Empty),
        };

        if (!allowed)
        {
            throw new NotSupportedException(
                $"The chain's {link.Description} gets a sample of shape [{string.Join(", ", link.InputShape)}]; compaction supports it only on {expected}.");
        }
    }

    /// <summary>A dimension index made non-negative, as Flatten reads it.</summary>
    public static long Normalise(long dimension, long rank) => dimension < 0 ? dimension + rank : dimension;
}
