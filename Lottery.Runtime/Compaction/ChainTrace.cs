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
        return Modules.ModuleKind.Of(module)?.ChainLink(module, description)
            ?? throw new NotSupportedException($"{description}, which compaction does not support. Supported modules: {Supported}.");
    }

    /// <summary>Refuses a module used on a sample shape where it would mix the units of the axis compaction slices (axis 0 of a sample).</summary>
    private static void CheckShape(ChainLink link)
    {
        var (allowed, expected) = Modules.ModuleKind.Of(link.Module)!.ChainShape(link.Module, link.InputShape.Length);
        if (!allowed)
        {
            throw new NotSupportedException(
                $"The chain's {link.Description} gets a sample of shape [{string.Join(", ", link.InputShape)}]; compaction supports it only on {expected}.");
        }
    }

    /// <summary>A dimension index made non-negative, as Flatten reads it.</summary>
    public static long Normalise(long dimension, long rank) => dimension < 0 ? dimension + rank : dimension;
}
