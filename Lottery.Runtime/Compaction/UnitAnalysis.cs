using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

/// <summary>What becomes of one unit (an output feature or channel of a layer).</summary>
internal enum UnitFate
{
    /// <summary>The unit stays in the compacted model.</summary>
    Kept,

    /// <summary>
    /// Dead in: its effective weights from every surviving input are zero, so it outputs a constant whatever the
    /// input; the constant, carried through the modules after it, is folded into the next layer's bias.
    /// </summary>
    Folded,

    /// <summary>Dead out: the next layer's surviving units have zero weights from it, so its value is never read.</summary>
    Unused,
}

/// <summary>
/// Decides which units of a chain survive compaction. Units live in segments: segment 0 is the model's input, segment
/// k + 1 the outputs of the k-th Linear or convolution, carried through the modules that follow it up to the next one.
/// The first and last segments are never touched. Passes over the chain mark units <see cref="UnitFate.Folded"/> or
/// <see cref="UnitFate.Unused"/> until nothing changes; a unit is never brought back, and each rule stays true as more
/// units go (a unit judged dead in has zero weights from every unit that was kept when it was judged, so its constant
/// does not change later), so the passes reach a fixed point. A last pass turns the fates into a plan.
/// </summary>
internal sealed class UnitAnalysis
{
    private readonly IReadOnlyList<ChainLink> links;
    private readonly Dictionary<int, LayerWeights> layers = [];
    private readonly UnitFate[][] fates;

    private UnitAnalysis(IReadOnlyList<ChainLink> links, long inputUnits)
    {
        this.links = links;
        var prunable = links.Where(link => link.Kind == LinkKind.Prunable).ToList();
        foreach (var link in prunable)
        {
            layers[link.Index] = LayerWeights.Read(link.Module);
        }

        fates = prunable.Select(link => new UnitFate[layers[link.Index].Outputs]).Prepend(new UnitFate[inputUnits]).ToArray();
    }

    /// <summary>The plan of each module of the chain, by index; null for modules with nothing to slice.</summary>
    public static LinkPlan?[] Plan(IReadOnlyList<ChainLink> links, long[] inputShape)
    {
        var analysis = new UnitAnalysis(links, inputShape[0]);
        while (analysis.Pass(decide: true).Changed)
        {
        }

        return analysis.Pass(decide: false).Plans;
    }

    /// <summary>
    /// Walks the chain once, carrying for each position of the unit axis the constant it holds whatever the input (NaN
    /// where it has none). With <paramref name="decide"/>, marks the units of each inner segment that can go.
    /// </summary>
    private (bool Changed, LinkPlan?[] Plans) Pass(bool decide)
    {
        var changed = false;
        var plans = new LinkPlan?[links.Count];
        var values = Enumerable.Repeat(double.NaN, fates[0].Length).ToArray();
        long group = 1;
        var segment = 0;
        foreach (var link in links)
        {
            switch (link.Kind)
            {
                case LinkKind.Prunable:
                    var layer = layers[link.Index];
                    if (decide && segment > 0)
                    {
                        changed |= Decide(fates[segment], fates[segment + 1], values, group, layer);
                    }

                    (plans[link.Index], values) = Through(link, layer, Expand(fates[segment], group), values, fates[segment + 1]);
                    group = 1;
                    segment++;
                    break;
                case LinkKind.BatchNorm:
                    plans[link.Index] = new LinkPlan(Positions(Expand(fates[segment], group), UnitFate.Kept));
                    values = Evaluate(link, values);
                    break;
                case LinkKind.Elementwise:
                    values = Evaluate(link, values);
                    break;
                case LinkKind.Pool:
                    values = ThroughPool(link.Module, values);
                    break;
                case LinkKind.Flatten:
                    (values, group) = ThroughFlatten(link, values, group);
                    break;
                case LinkKind.Passthrough:
                    break;
            }
        }

        return (changed, plans);
    }

    /// <summary>
    /// Marks the kept units of a segment that can go, given the constants at the consumer's input. A unit spans
    /// <paramref name="group"/> positions (its features after a Flatten). The last kept unit of a segment always stays,
    /// so that every layer keeps a shape.
    /// </summary>
    private static bool Decide(UnitFate[] units, UnitFate[] consumerUnits, double[] values, long group, LayerWeights consumer)
    {
        var kept = units.Count(fate => fate == UnitFate.Kept);
        var changed = false;
        for (var unit = 0L; unit < units.Length && kept > 1; unit++)
        {
            if (units[unit] != UnitFate.Kept)
            {
                continue;
            }

            var first = unit * group;
            var fate = IsUnread(consumer, consumerUnits, first, group) ? UnitFate.Unused
                : IsFoldable(consumer, values, first, group) ? UnitFate.Folded
                : UnitFate.Kept;
            if (fate != UnitFate.Kept)
            {
                units[unit] = fate;
                kept--;
                changed = true;
            }
        }

        return changed;
    }

    private static bool IsUnread(LayerWeights consumer, UnitFate[] consumerUnits, long first, long group)
    {
        for (var output = 0L; output < consumer.Outputs; output++)
        {
            if (consumerUnits[output] == UnitFate.Unused)
            {
                continue;
            }

            for (var input = first; input < first + group; input++)
            {
                if (consumer.IsLive(output, input))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsFoldable(LayerWeights consumer, double[] values, long first, long group)
    {
        for (var input = first; input < first + group; input++)
        {
            if (double.IsNaN(values[input]) || (!consumer.FoldsConstants && values[input] != 0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The plan of a layer and the constants of its outputs: an output whose weights from every kept input are zero
    /// holds its bias plus what the folded inputs add; the others hold none.
    /// </summary>
    private static (LinkPlan Plan, double[] Values) Through(ChainLink link, LayerWeights layer, UnitFate[] inputs, double[] values, UnitFate[] outputs)
    {
        if (inputs.Length != layer.Inputs)
        {
            throw new InvalidOperationException($"Compaction lost track of the units before {link.Description}: {inputs.Length} positions for {layer.Inputs} inputs.");
        }

        var kept = Positions(inputs, UnitFate.Kept);
        var folded = Positions(inputs, UnitFate.Folded);
        var shift = new double[layer.Outputs];
        var constants = new double[layer.Outputs];
        for (var output = 0L; output < layer.Outputs; output++)
        {
            foreach (var input in folded)
            {
                shift[output] += layer.TapSum(output, input) * values[input];
            }

            constants[output] = kept.Any(input => layer.IsLive(output, input)) ? double.NaN : layer.Bias[output] + shift[output];
        }

        var plan = new LinkPlan(kept)
        {
            KeptUnits = Positions(outputs, UnitFate.Kept),
            BiasShift = shift,
            FoldedUnits = outputs.Count(fate => fate == UnitFate.Folded),
            UnusedUnits = outputs.Count(fate => fate == UnitFate.Unused),
        };
        return (plan, constants);
    }

    /// <summary>Runs an activation or BatchNorm on the constants, laid out as one sample whose spatial axes have length 1.</summary>
    private static double[] Evaluate(ChainLink link, double[] values)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shape = new long[link.InputShape.Length + 1];
        Array.Fill(shape, 1L);
        shape[1] = values.Length;
        var input = tensor(values.Select(value => double.IsNaN(value) ? 0 : value).ToArray(), ScalarType.Float64)
            .to(link.InputType, link.Device)
            .reshape(shape);
        var output = link.Call(input).to(ScalarType.Float64).cpu().reshape(-1).data<double>().ToArray();
        for (var position = 0; position < values.Length; position++)
        {
            if (double.IsNaN(values[position]))
            {
                output[position] = double.NaN;
            }
        }

        return output;
    }

    /// <summary>
    /// A pool keeps a constant channel constant, except an average pool whose windows count padded zeros or divide by
    /// a fixed divisor: there only a zero stays a (zero) constant.
    /// </summary>
    private static double[] ThroughPool(nn.Module pool, double[] values)
    {
        var keepsConstants = pool switch
        {
            AvgPool1d average => (average.padding is null or 0 || !average.count_include_pad),
            AvgPool2d average => average.divisor_override is null && (average.padding is null || average.padding.All(p => p == 0) || !average.count_include_pad),
            _ => true,
        };
        return keepsConstants ? values : values.Select(value => value == 0 ? 0 : double.NaN).ToArray();
    }

    /// <summary>A Flatten that merges the unit axis with the axes after it makes each unit span that many features.</summary>
    private static (double[] Values, long Group) ThroughFlatten(ChainLink link, double[] values, long group)
    {
        var flatten = (Flatten)link.Module;
        var rank = link.InputShape.Length + 1;
        var start = ChainTrace.Normalise(flatten.start_dim, rank);
        var end = ChainTrace.Normalise(flatten.end_dim, rank);
        if (start != 1 || end <= 1)
        {
            return (values, group);
        }

        var merged = link.InputShape[1..(int)end].Aggregate(1L, (product, size) => product * size);
        var spread = new double[values.Length * merged];
        for (var position = 0L; position < spread.Length; position++)
        {
            spread[position] = values[position / merged];
        }

        return (spread, group * merged);
    }

    private static UnitFate[] Expand(UnitFate[] units, long group) =>
        group == 1 ? units : units.SelectMany(fate => Enumerable.Repeat(fate, (int)group)).ToArray();

    private static long[] Positions(UnitFate[] fates, UnitFate fate) =>
        Enumerable.Range(0, fates.Length).Where(position => fates[position] == fate).Select(position => (long)position).ToArray();
}
