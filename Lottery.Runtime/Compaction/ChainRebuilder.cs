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

    private static nn.Module<Tensor, Tensor> Rebuild(ChainLink link, LinkPlan? plan) => link.Module switch
    {
        Linear or Convolution => Layer(link.Module, plan!),
        BatchNorm norm => BatchNorm(norm, plan!),
        ReLU relu => nn.ReLU(relu.inplace),
        LeakyReLU leaky => nn.LeakyReLU(leaky.negative_slope, leaky.inplace),
        Tanh tanh => nn.Tanh(tanh.inplace),
        Sigmoid sigmoid => nn.Sigmoid(sigmoid.inplace),
        GELU gelu => nn.GELU(gelu.approximate, gelu.inplace),
        ELU elu => nn.ELU(elu.alpha, elu.inplace),
        SiLU silu => nn.SiLU(silu.inplace),
        MaxPool1d pool => nn.MaxPool1d(pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode),
        MaxPool2d pool => nn.MaxPool2d(Copy(pool.kernel_size)!, Copy(pool.stride), Copy(pool.padding), Copy(pool.dilation), pool.ceil_mode),
        AvgPool1d pool => nn.AvgPool1d(pool.kernel_size, pool.stride, pool.padding ?? 0, pool.ceil_mode, pool.count_include_pad),
        AvgPool2d pool => nn.AvgPool2d(Copy(pool.kernel_size)!, Copy(pool.stride), Copy(pool.padding), pool.ceil_mode, pool.count_include_pad, pool.divisor_override),
        Flatten flatten => nn.Flatten(flatten.start_dim, flatten.end_dim),
        Dropout dropout => nn.Dropout(dropout.p, dropout.inplace),
        Dropout1d dropout => nn.Dropout1d(dropout.p, dropout.inplace),
        Dropout2d dropout => nn.Dropout2d(dropout.p, dropout.inplace),
        Identity => nn.Identity(),
        _ => throw new NotSupportedException($"Compaction cannot rebuild {link.Description}. Supported modules: {ChainTrace.Supported}."),
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
        long inputs = plan.KeptInputs.Length;
        long outputs = plan.KeptUnits.Length;
        nn.Module<Tensor, Tensor> layer = source switch
        {
            Linear => nn.Linear(inputs, outputs, hasBias, weight.device, weight.dtype),
            Conv1d conv => Padded(nn.Conv1d(inputs, outputs, conv.kernel_size[0], conv.stride[0], 0, conv.dilation[0], conv.padding_mode, 1, hasBias, weight.device, weight.dtype), conv),
            Conv2d conv => Padded(
                nn.Conv2d(inputs, outputs, (conv.kernel_size[0], conv.kernel_size[1]), (conv.stride[0], conv.stride[1]), (0, 0), (conv.dilation[0], conv.dilation[1]), conv.padding_mode, 1, hasBias, weight.device, weight.dtype),
                conv),
            _ => throw new NotSupportedException($"Compaction cannot rebuild a {source.GetType().Name}."),
        };

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

    private static T Padded<T>(T fresh, Convolution source)
        where T : Convolution
    {
        if (source.padding_type is { } type)
        {
            fresh.SetPadding(type);
        }
        else
        {
            fresh.SetPadding(Copy(source.padding) ?? new long[source.kernel_size.Length]);
        }

        return fresh;
    }

    /// <summary>A BatchNorm over the kept features, its affine parameters and running statistics sliced to them.</summary>
    private static nn.Module<Tensor, Tensor> BatchNorm(BatchNorm source, LinkPlan plan)
    {
        var reference = source.running_mean!;
        long features = plan.KeptInputs.Length;
        BatchNorm fresh = source switch
        {
            BatchNorm1d => nn.BatchNorm1d(features, source.eps, source.momentum ?? 0.1, source.affine, source.track_running_stats, reference.device, reference.dtype),
            _ => nn.BatchNorm2d(features, source.eps, source.momentum ?? 0.1, source.affine, source.track_running_stats, reference.device, reference.dtype),
        };
        fresh.momentum = source.momentum;

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

    private static long[]? Copy(long[]? values) => values?.ToArray();
}
