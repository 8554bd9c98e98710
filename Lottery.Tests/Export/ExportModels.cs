using Lottery.Criteria;
using Lottery.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Tests.Export;

/// <summary>Untrained models pruned by magnitude, layer by layer, for the export tests: the same seeds give the same weights and masks.</summary>
internal static class ExportModels
{
    /// <summary>A model made by <paramref name="create"/> after seeding TorchSharp with <paramref name="seed"/>, <paramref name="rate"/> of each layer's weights pruned.</summary>
    public static T Pruned<T>(Func<T> create, int seed, double rate)
        where T : nn.Module, IPrunableModel
    {
        manual_seed(seed);
        var model = create();
        using var generator = new Generator((ulong)seed);
        Pruner.Prune(model.AttachMasks(), PruningAmount.ByRate(rate), PruningScope.Layerwise, PruningCriteria.Magnitude, generator);
        return model;
    }
}
