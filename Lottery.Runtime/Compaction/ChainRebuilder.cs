using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>
/// Builds the compacted chain: a fresh module for each module of the source, with the same settings, its weights
/// sliced to the kept units and copied (no tensor is shared with the source, no mask is carried).
/// </summary>
internal static class ChainRebuilder
{
    public static Sequential Build(IReadOnlyList<ChainLink> links, IReadOnlyList<LinkPlan?> plans)
    {
        var modules = new List<(string Name, nn.Module<Tensor, Tensor> Module)>(links.Count);
        try
        {
            foreach (var link in links)
            {
                modules.Add((link.Name, Rebuild(link, plans[link.Index])));
            }
        }
        catch
        {
            foreach (var (_, module) in modules)
            {
                module.Dispose();
            }

            throw;
        }

        var chain = nn.Sequential(modules);
        chain.eval();
        return chain;
    }

    private static nn.Module<Tensor, Tensor> Rebuild(ChainLink link, LinkPlan? plan) => link.Kind switch
    {
        LinkKind.Prunable => Layer(link.Module, plan!),
        LinkKind.BatchNorm => BatchNorm((BatchNorm)link.Module, plan!),
        _ => (ModuleSettings.Read(link.Module) ?? throw new NotSupportedException($"Compaction cannot rebuild {link.Description}. Supported modules: {ChainTrace.Supported}."))
            .Create(link.Device),
    };

    /// <summary>
    /// A Linear or convolution with the kept rows and input columns of the effective weight. Its bias is the kept
    /// part of the effective bias plus what the removed constant inputs added; a layer created without a bias gets
    /// one when that amount is not zero, since there is nowhere else to put it.
    /// </summary>
    private static nn.Module<Tensor, Tensor> Layer(nn.Module source, LinkPlan plan)
    {
        var weight = LayerWeights.Weight(source);
        var shift = plan.KeptUnits.Select(unit => plan.BiasShift[unit]).ToArray();
        var hasBias = LayerWeights.BiasOf(source) is not null || shift.Any(amount => amount != 0);
        var layer = Settings(source)
            .WithUnits(plan.KeptInputs.Length, plan.KeptUnits.Length, hasBias)
            .Create(weight.device);
        long outputs = plan.KeptUnits.Length;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = tensor(plan.KeptUnits, device: weight.device);
        var columns = tensor(plan.KeptInputs, device: weight.device);
        LayerWeights.Weight(layer).copy_(LayerWeights.EffectiveWeight(source).index_select(0, rows).index_select(1, columns));
        if (LayerWeights.BiasOf(layer) is { } bias)
        {
            var kept = LayerWeights.EffectiveBias(source) is { } sourceBias
                ? sourceBias.index_select(0, rows).to(ScalarType.Float64)
                : zeros(outputs, ScalarType.Float64, weight.device);
            bias.copy_(kept.add(tensor(shift, ScalarType.Float64, weight.device)));
        }

        return layer;
    }

    /// <summary>A BatchNorm over the kept features, its affine parameters and running statistics sliced to them.</summary>
    private static nn.Module<Tensor, Tensor> BatchNorm(BatchNorm source, LinkPlan plan)
    {
        var reference = source.running_mean!;
        var fresh = (BatchNorm)(Settings(source) with { NumFeatures = plan.KeptInputs.Length }).Create(reference.device);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var kept = tensor(plan.KeptInputs, device: reference.device);
        fresh.running_mean!.copy_(source.running_mean!.index_select(0, kept));
        fresh.running_var!.copy_(source.running_var!.index_select(0, kept));
        if (source.num_batches_tracked is { } tracked)
        {
            fresh.num_batches_tracked!.copy_(tracked);
        }

        if (source.affine)
        {
            fresh.weight.copy_(source.weight.detach().index_select(0, kept));
            fresh.bias!.copy_(source.bias!.detach().index_select(0, kept));
        }

        return fresh;
    }

    private static ModuleSettings Settings(nn.Module source) =>
        ModuleSettings.Read(source) ?? throw new NotSupportedException($"Compaction cannot rebuild a {source.GetType().Name}.");
}
