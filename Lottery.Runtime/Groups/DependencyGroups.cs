using System.Text;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Groups;

/// <summary>
/// The dependency groups of a model: which slices of which parameters must be pruned together when a channel or neuron
/// goes (its layer's row and bias, the batch norm after it, the depthwise filter that carries it, the next layers' input
/// columns, and across a residual add the same channel of every branch). Found by tracing the model once on an example
/// input (<see cref="Trace"/>), as Torch-Pruning's dependency graph does, but by probing instead of reading an autograd
/// graph, which TorchSharp does not expose: each layer's units are marked one at a time while every other mixing layer
/// gives its unmarked output, and the marks are read at every layer's input.
/// </summary>
public sealed class DependencyGroups
{
    private DependencyGroups(IReadOnlyList<DependencyGroup> groups) => Groups = groups;

    /// <summary>The groups, in the order of their first producing layer in the model.</summary>
    public IReadOnlyList<DependencyGroup> Groups { get; }

    /// <summary>
    /// These groups and <paramref name="other"/>'s, as one set: a model's traced groups with its attention heads
    /// (<see cref="Attention"/>), for example. The two should not share a producing layer.
    /// </summary>
    /// <exception cref="ArgumentException">A layer produces units in both.</exception>
    public DependencyGroups With(DependencyGroups other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var shared = Groups.SelectMany(g => g.Layers).Intersect(other.Groups.SelectMany(g => g.Layers)).ToList();
        if (shared.Count > 0)
        {
            throw new ArgumentException($"Both sets of groups prune the units of {string.Join(", ", shared)}; give each layer's units to one group.", nameof(other));
        }

        return new DependencyGroups([.. Groups, .. other.Groups]);
    }

    /// <summary>The groups, one per line.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var group in Groups)
        {
            text.AppendLine(group.Describe());
        }

        return text.ToString();
    }

    /// <summary>
    /// Traces <paramref name="model"/> on <paramref name="example"/> (one input, with its batch dimension of 1) in eval mode
    /// and returns its groups. The layers of the model's output (whose units nothing consumes) form no group: they are
    /// never pruned by unit.
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// The model holds a module whose coupling the tracer does not follow yet (transposed convolutions, a LayerNorm over
    /// more than one dimension, GroupNorm, attention: give attention's groups with <see cref="Attention"/>), or a
    /// layer its forward calls with <c>forward</c> instead of <c>call</c>, which hides it from the trace.
    /// </exception>
    public static DependencyGroups Trace(nn.Module<Tensor, Tensor> model, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(example);
        var modules = model.named_modules().Select(m => (Name: m.name, Module: m.module, Role: RoleOf(m.module))).Where(m => m.Role != Role.None).ToList();

        // What an opaque layer holds (Lottery's EncoderLayer's own Linears) is its business: its groups come from Attention.
        var opaque = modules.Where(m => m.Role == Role.Opaque).Select(m => m.Name + ".").ToList();
        modules.RemoveAll(m => opaque.Any(prefix => m.Name.StartsWith(prefix, StringComparison.Ordinal)));
        var unsupported = modules.Where(m => m.Role == Role.Unsupported).Select(m => $"{m.Name} ({m.Module.GetType().Name})").ToList();
        if (unsupported.Count > 0)
        {
            throw new NotSupportedException(
                $"{model.GetType().Name}: dependency groups are not traced through {string.Join(", ", unsupported)} yet; prune those layers weight by weight (Structure.Unstructured), by neurons and channels layer by layer, or, for attention, by heads with DependencyGroups.Attention.");
        }

        if (Training.BatchAxis.Problem(model, example) is { } batchProblem)
        {
            throw new NotSupportedException(batchProblem);
        }

        var training = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var tracer = new Tracer(modules.Select(m => (m.Name, (nn.Module<Tensor, Tensor>)m.Module, m.Role)).ToList());
            tracer.Baseline(model, example);
            var hidden = modules.Where(m => !tracer.Seen(m.Name)).Select(m => m.Name).ToList();
            if (hidden.Count > 0)
            {
                throw new NotSupportedException(
                    $"{model.GetType().Name}: the trace did not see {string.Join(", ", hidden)}: a forward that calls a layer's forward(x) directly skips TorchSharp's hooks. Call layer.call(x) instead (as Sequential does), so that the layer can be traced.");
            }

            var hits = new Dictionary<(string Producer, long Unit), List<(string Consumer, long Index)>>();
            foreach (var producer in modules.Where(m => m.Role == Role.Mixing))
            {
                foreach (var (unit, consumed) in tracer.Probe(model, example, producer.Name))
                {
                    hits[(producer.Name, unit)] = consumed;
                }
            }

            return new DependencyGroups(Build(modules.Select(m => (m.Name, m.Module, m.Role)).ToList(), hits, tracer.Fixed(model, example)));
        }
        finally
        {
            model.train(training);
        }
    }

    /// <summary>
    /// The groups of <paramref name="model"/>'s attention layers, found from their parameters' shapes (no trace): for every
    /// <c>MultiheadAttention</c> (and Lottery's <see cref="Layers.SelfAttention"/>), and the attentions of every
    /// <c>TransformerEncoderLayer</c> (and Lottery's <see cref="Layers.EncoderLayer"/>) and <c>TransformerDecoderLayer</c>,
    /// one group whose units are its heads (a head's rows of the Q, K and V projections and their biases, and the output
    /// projection's columns that read it); for every Transformer layer also one group whose units are its feed-forward
    /// neurons (<c>linear1</c>'s row and bias, <c>linear2</c>'s column). A group's layer is the module that holds the weights.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="heads">The heads of each attention (TorchSharp does not expose them): the embedding width must divide by it. Lottery's own layers must be given the heads they compute with.</param>
    /// <exception cref="ArgumentException">The model has no attention, an attention's width does not divide by <paramref name="heads"/>, or one of Lottery's layers has other heads.</exception>
    public static DependencyGroups Attention(nn.Module model, int heads) => AttentionOf(model, heads, null);

    /// <summary>
    /// The groups of <paramref name="model"/>: its traced groups (<see cref="Trace"/>) and, for every attention or
    /// Transformer layer declared with its heads (<c>[Prunable(Heads = 4)]</c>, in the model or its blocks) and every declared
    /// <see cref="Layers.EncoderLayer"/> or <see cref="Layers.SelfAttention"/> (which know their heads), that layer's
    /// heads and feed-forward neurons (<see cref="Attention(nn.Module, int)"/>). What a run with <c>Groups = true</c> prunes by.
    /// </summary>
    /// <exception cref="NotSupportedException">As <see cref="Trace"/>.</exception>
    public static DependencyGroups Of(nn.Module<Tensor, Tensor> model, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(model);
        var groups = Trace(model, example);
        if (model is not IPrunableModel && !model.named_modules().Any(m => m.module is IPrunableModel))
        {
            return groups;
        }

        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, module) in model.named_modules())
        {
            names.TryAdd(module, name);
        }

        // Native layers by the heads declared; Lottery's own layers know theirs (a declared count must agree with it).
        foreach (var byHeads in DeclaredLayers.Of(model).Where(l => (l.Heads is not null || l.Layer is Layers.EncoderLayer or Layers.SelfAttention) && names.ContainsKey(l.Layer)).GroupBy(l => l.Heads ?? 0))
        {
            groups = groups.With(AttentionOf(model, byHeads.Key, byHeads.Select(l => names[l.Layer]).ToHashSet(StringComparer.Ordinal)));
        }

        return groups;
    }

    private static DependencyGroups AttentionOf(nn.Module model, int heads, IReadOnlySet<string>? only)
    {
        ArgumentNullException.ThrowIfNull(model);
        var groups = new List<DependencyGroup>();
        var claimed = new List<string>();
        foreach (var (name, module) in model.named_modules())
        {
            // A layer's own attention (an EncoderLayer's self_attn) is part of the layer's groups.
            if ((only is not null && !only.Contains(name)) || claimed.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                continue;
            }

            string[] attentions = module switch
            {
                MultiheadAttention or Layers.SelfAttention => [string.Empty],
                TransformerEncoderLayer or Layers.EncoderLayer => ["self_attn."],
                TransformerDecoderLayer => ["self_attn.", "multihead_attn."],
                _ => [],
            };
            if (attentions.Length == 0)
            {
                continue;
            }

            claimed.Add(name + ".");
            var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
            var own = module switch
            {
                Layers.EncoderLayer layer => layer.Heads,
                Layers.SelfAttention attention => attention.Heads,
                _ => (long?)null,
            };
            if (own is not null && heads != 0 && heads != own)
            {
                throw new ArgumentException($"{model.GetType().Name}: layer '{name}' computes with {own} heads, not {heads}; give {own}, or leave Heads out for Lottery's own layers.", nameof(heads));
            }

            foreach (var prefix in attentions)
            {
                groups.Add(Heads(name, prefix, parameters, own ?? heads));
            }

            if (module is TransformerEncoderLayer or TransformerDecoderLayer or Layers.EncoderLayer)
            {
                var neurons = parameters["linear1.weight"][0];
                groups.Add(new DependencyGroup(
                    [name],
                    Enumerable.Range(0, (int)neurons).Select(j => new CoupledUnit(
                    [
                        new GroupMember(Qualified(name, "linear1.weight"), 0, [j]),
                        new GroupMember(Qualified(name, "linear1.bias"), 0, [j]),
                        new GroupMember(Qualified(name, "linear2.weight"), 1, [j]),
                    ])).ToList()) { What = "feed-forward neurons" });
            }
        }

        if (groups.Count == 0)
        {
            throw new ArgumentException($"{model.GetType().Name} holds no MultiheadAttention, TransformerEncoderLayer or TransformerDecoderLayer, so it has no attention heads; trace its layers with DependencyGroups.Trace.", nameof(model));
        }

        return new DependencyGroups(groups);
    }

    private static DependencyGroup Heads(string name, string prefix, Dictionary<string, long[]> parameters, long heads)
    {
        var width = parameters[prefix + "out_proj.weight"][1];
        if (heads < 1 || width % heads != 0)
        {
            throw new ArgumentException($"{(name.Length == 0 ? "The attention" : name)}'s width {width} does not divide into {heads} heads; give the heads it was created with.", nameof(heads));
        }

        var size = width / heads;
        var units = new List<CoupledUnit>();
        for (var head = 0; head < heads; head++)
        {
            var own = Enumerable.Range((int)(head * size), (int)size).Select(i => (long)i).ToList();

            // Q, K and V stacked (in_proj_weight, and the bias in every case): the head's rows in each third; or, with kdim or
            // vdim unlike the width, each of q/k/v_proj_weight's own rows.
            var stacked = new[] { 0L, width, 2 * width }.SelectMany(offset => own.Select(i => offset + i)).ToList();
            var members = parameters.ContainsKey(prefix + "in_proj_weight")
                ? [new GroupMember(Qualified(name, prefix + "in_proj_weight"), 0, stacked)]
                : new[] { "q", "k", "v" }.Select(p => new GroupMember(Qualified(name, $"{prefix}{p}_proj_weight"), 0, own)).ToList();
            if (parameters.ContainsKey(prefix + "in_proj_bias"))
            {
                members.Add(new GroupMember(Qualified(name, prefix + "in_proj_bias"), 0, stacked));
            }

            members.Add(new GroupMember(Qualified(name, prefix + "out_proj.weight"), 1, own));
            units.Add(new CoupledUnit(members));
        }

        return new DependencyGroup([name], units) { What = prefix == "multihead_attn." ? "cross-attention heads" : "heads" };
    }

    private static string Qualified(string module, string parameter) => module.Length == 0 ? parameter : $"{module}.{parameter}";

    internal enum Role
    {
        None,
        Mixing,
        Depthwise,
        Norm,
        FeatureNorm,
        Opaque,

        /// <summary>A layer whose output features no group cuts (an embedding's, as the model input's): what it feeds is fixed too.</summary>
        Source,
        Unsupported,
    }

    internal static Role RoleOf(nn.Module module) => module switch
    {
        Linear => Role.Mixing,
        Convolution { transposed: true } => Role.Unsupported,
        Convolution conv when conv.groups == 1 => Role.Mixing,
        Convolution conv when conv.groups == conv.in_channels && conv.groups == conv.out_channels => Role.Depthwise,
        Convolution => Role.Mixing,   // grouped: each output channel reads the input channels of its group
        BatchNorm1d or BatchNorm2d or BatchNorm3d => Role.Norm,
        LayerNorm { normalized_shape.Length: 1 } => Role.FeatureNorm,
        TransformerEncoderLayer or Layers.EncoderLayer or Layers.SelfAttention => Role.Opaque,   // its heads and feed-forward come from Attention; nothing before it is cut
        LayerNorm or GroupNorm or MultiheadAttention or TransformerDecoderLayer => Role.Unsupported,
        Embedding => Role.Source,   // a lookup of the input's tokens: like the input, its features belong to no group
        _ => Role.None,
    };

    // Units coupled through any input index they both reach are one unit (union-find over the producers' units); a unit's
    // slices are its producers' rows and biases and, for each input index it reaches, that layer's entries. A unit that
    // reaches an index the model input, an embedding or a Transformer layer also reaches (a residual add onto them) is
    // tied to features nothing cuts, so its group is dropped with it.
    private static List<DependencyGroup> Build(List<(string Name, nn.Module Module, Role Role)> modules, Dictionary<(string Producer, long Unit), List<(string Consumer, long Index)>> hits, IReadOnlySet<(string Consumer, long Index)> fixedIndices)
    {
        var parent = hits.Keys.ToDictionary(k => k, k => k);
        (string, long) Find((string, long) x)
        {
            while (!parent[x].Equals(x))
            {
                x = parent[x] = parent[parent[x]];
            }

            return x;
        }

        var firstAt = new Dictionary<(string, long), (string, long)>();
        foreach (var (unit, consumed) in hits)
        {
            foreach (var index in consumed)
            {
                if (firstAt.TryGetValue(index, out var other))
                {
                    parent[Find(unit)] = Find(other);
                }
                else
                {
                    firstAt[index] = unit;
                }
            }
        }

        var order = modules.Select((m, i) => (m.Name, i)).ToDictionary(p => p.Name, p => p.i);
        var byName = modules.ToDictionary(m => m.Name);
        var components = hits.Keys.GroupBy(Find)
            .Select(c => c.OrderBy(u => order[u.Producer]).ThenBy(u => u.Unit).ToList())
            .Where(c => c.Any(u => hits[u].Count > 0))   // the output layers' units reach nothing: never pruned by unit
            .Where(c => !c.Any(u => hits[u].Any(h => byName[h.Consumer].Role == Role.Opaque)))   // nor units a Transformer layer reads whole
            .Where(c => !c.Any(u => hits[u].Any(fixedIndices.Contains)))   // nor units added to features no group cuts
            .ToList();
        var groups = components
            .GroupBy(c => string.Join("|", c.Select(u => u.Producer).Distinct()))
            .Select(g => new DependencyGroup(
                g.First().Select(u => u.Producer).Distinct().ToList(),
                g.OrderBy(c => c[0].Unit).Select(c => Unit(c, hits, byName)).ToList()))
            .OrderBy(g => order[g.Layers[0]])
            .ToList();
        return groups;
    }

    private static CoupledUnit Unit(List<(string Producer, long Unit)> units, Dictionary<(string Producer, long Unit), List<(string Consumer, long Index)>> hits, Dictionary<string, (string Name, nn.Module Module, Role Role)> modules)
    {
        var slices = new List<(string Parameter, int Dimension, long Index, long[]? Rows)>();
        foreach (var (producer, unit) in units)
        {
            slices.AddRange(Own(producer, modules[producer].Module, unit));
        }

        foreach (var (consumer, index) in units.SelectMany(u => hits[u]).Distinct())
        {
            var module = modules[consumer];
            if (module.Role == Role.Mixing && module.Module is Convolution { groups: > 1 } grouped)
            {
                // Input channel i of a grouped convolution is column i mod (in / groups) of the rows of its group only.
                var perGroup = grouped.in_channels / grouped.groups;
                var rows = grouped.out_channels / grouped.groups;
                var group = index / perGroup;
                slices.Add(($"{consumer}.weight", 1, index % perGroup, Enumerable.Range(0, (int)rows).Select(r => (group * rows) + r).ToArray()));
            }
            else if (module.Role == Role.Mixing)
            {
                slices.Add(($"{consumer}.weight", 1, index, null));
            }
            else
            {
                slices.AddRange(Own(consumer, module.Module, index));
            }
        }

        var members = slices
            .GroupBy(s => (s.Parameter, s.Dimension, Rows: s.Rows is null ? string.Empty : string.Join(",", s.Rows)))
            .Select(g => new GroupMember(g.Key.Parameter, g.Key.Dimension, g.Select(s => s.Index).Distinct().Order().ToList(), g.First().Rows))
            .ToList();
        return new CoupledUnit(members);
    }

    // A layer's own entries for unit k: its weight's row (a norm's or depthwise filter's entry) and its bias.
    private static IEnumerable<(string, int, long, long[]?)> Own(string name, nn.Module module, long unit) =>
        module.named_parameters(recurse: false).Where(p => p.name is "weight" or "bias").Select(p => ($"{name}.{p.name}", 0, unit, (long[]?)null));

    /// <summary>The traced model's layers with forward hooks: the baseline pass, and one probe per producing layer.</summary>
    private sealed class Tracer(List<(string Name, nn.Module<Tensor, Tensor> Module, Role Role)> modules) : IDisposable
    {
        private readonly Dictionary<string, (Tensor Input, Tensor Output)> baseline = [];

        public void Dispose()
        {
            foreach (var (input, output) in baseline.Values)
            {
                input.Dispose();
                output.Dispose();
            }
        }

        public bool Seen(string name) => baseline.ContainsKey(name);

        public void Baseline(nn.Module<Tensor, Tensor> model, Tensor example)
        {
            var removers = modules.Select(m => m.Module.register_forward_hook((_, input, output) =>
            {
                if (baseline.ContainsKey(m.Name))
                {
                    throw new NotSupportedException($"{model.GetType().Name}: {m.Name} is called twice in one forward (a shared layer); dependency groups need each layer once.");
                }

                // Kept past the model's own dispose scopes (a forward's NewDisposeScope disposes what it does not return).
                baseline[m.Name] = (input.detach().clone().DetachFromDisposeScope(), output.detach().clone().DetachFromDisposeScope());
                return null!;
            })).ToList();
            try
            {
                model.call(example);
            }
            finally
            {
                removers.ForEach(r => r.remove());
            }
        }

        /// <summary>Marks each unit of <paramref name="producer"/> (+K in one copy of the input, -K in another) and returns, per unit, the input indices it reaches.</summary>
        /// <remarks>
        /// The units are marked a chunk at a time, so that the probe's batch (two samples a unit) stays near 2^18 input values:
        /// a wide layer traced on a large input would otherwise need its whole width in one batch.
        /// </remarks>
        public IEnumerable<(long Unit, List<(string Consumer, long Index)> Consumed)> Probe(nn.Module<Tensor, Tensor> model, Tensor example, string producer)
        {
            var (_, output) = baseline[producer];
            var units = output.shape[ChannelDimension(modules.Single(m => m.Name == producer).Module, output)];
            var chunk = Math.Clamp((1L << 17) / Math.Max(1, example.numel()), 1, units);
            var found = new List<(long, List<(string, long)>)>();
            for (var first = 0L; first < units; first += chunk)
            {
                using var scope = NewDisposeScope();
                found.AddRange(ProbeUnits(model, example, producer, first, Math.Min(chunk, units - first)).ToList());
            }

            return found;
        }

        /// <summary>
        /// The input indices that the features no group cuts reach: the model input's (when it is not indices), every
        /// embedding's and every Transformer layer's output, marked all at once (+K in one copy of the input, -K in another).
        /// </summary>
        public IReadOnlySet<(string Consumer, long Index)> Fixed(nn.Module<Tensor, Tensor> model, Tensor example)
        {
            using var scope = NewDisposeScope();
            return ProbeUnits(model, example, null, 0, 1).Single().Consumed.ToHashSet();
        }

        // With no producer, the fixed sources are marked whole instead, as one unit (Fixed).
        private IEnumerable<(long Unit, List<(string Consumer, long Index)> Consumed)> ProbeUnits(nn.Module<Tensor, Tensor> model, Tensor example, string? producer, long first, long units)
        {
            var batch = 2 * units;
            var inputs = new Dictionary<string, Tensor>();
            var removers = modules.Select(m => m.Module.register_forward_hook((_, input, result) =>
            {
                inputs[m.Name] = input.detach().clone().DetachFromDisposeScope();
                if (producer is null && m.Role is Role.Source or Role.Opaque)
                {
                    return Whole(baseline[m.Name].Output, result.shape, BatchDimension(baseline[m.Name].Output.shape, result.shape, batch));
                }

                if (m.Name == producer)
                {
                    // The batch runs along whichever dimension the layer has it in ([tokens, batch, features] too).
                    var dimension = ChannelDimension(m.Module, result);
                    var examples = BatchDimension(baseline[m.Name].Output.shape, result.shape, batch);
                    var channel = dimension > examples ? dimension - 1 : dimension;
                    var size = 10.0 * (1 + baseline[m.Name].Output.abs().max().item<float>());
                    var mark = zeros(result.shape);
                    for (long unit = 0; unit < units; unit++)
                    {
                        mark.select(examples, unit).select(channel, first + unit).fill_(size);
                        mark.select(examples, units + unit).select(channel, first + unit).fill_(-size);
                    }

                    return baseline[m.Name].Output.expand(result.shape) + mark;
                }

                // Every other mixing layer gives its unmarked output: a mark reaches only the layers it feeds directly. A norm
                // passes each channel's mark to the same channel whatever its weights (a pruned channel's zero weight and bias
                // would stop it, and a pruned model would trace into other groups than the model it was pruned from; a
                // LayerNorm's mean and variance would spread it to all), and so does a depthwise filter, spread over its
                // output's positions (its stride may change their number).
                var (before, after) = baseline[m.Name];
                return m.Role switch
                {
                    Role.Mixing or Role.Opaque or Role.Source => after.expand(result.shape).clone(),
                    Role.FeatureNorm or Role.Norm => after.expand(result.shape) + (input - before.expand(input.shape)),
                    Role.Depthwise => after.expand(result.shape) + (input - before.expand(input.shape)).mean(Enumerable.Range(2, (int)input.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true),
                    _ => null!,
                };
            })).ToList();
            try
            {
                using var probe = producer is null && example.is_floating_point()
                    ? Whole(example, Expanded(example, batch), 0)
                    : example.expand(Expanded(example, batch)).contiguous();
                model.call(probe);
            }
            finally
            {
                removers.ForEach(r => r.remove());
            }

            using var owned = NewDisposeScope();
            foreach (var kept in inputs.Values)
            {
                kept.MoveToOtherDisposeScope(owned);
            }

            var reached = new List<(string, long)>[units];
            for (var unit = 0; unit < units; unit++)
            {
                reached[unit] = [];
            }

            foreach (var (name, module, role) in modules.Where(m => m.Name != producer && m.Role != Role.Source))
            {
                var before = baseline[name].Input;
                var after = inputs[name];
                var dimension = ChannelDimension(module, before);
                var examples = BatchDimension(before.shape, after.shape, batch);
                var change = (after - before).abs();
                var others = Enumerable.Range(0, (int)change.dim()).Where(d => d != dimension && d != examples).Select(d => (long)d).ToArray();
                var moved = (others.Length > 0 ? change.amax(others) : change) > 1e-3 * (1 + before.abs().max().item<float>());
                if (examples > dimension)
                {
                    moved = moved.transpose(0, 1);
                }

                var flags = moved.contiguous().view(2, units, -1).any(0).to_type(ScalarType.Byte).cpu().data<byte>().ToArray();
                var width = flags.Length / units;
                for (var unit = 0; unit < units; unit++)
                {
                    for (var index = 0; index < width; index++)
                    {
                        if (flags[(unit * width) + index] != 0)
                        {
                            reached[unit].Add((name, index));
                        }
                    }
                }
            }

            return reached.Select((consumed, unit) => (first + unit, consumed));
        }

        // The traced tensor repeated along the batch, every value of the first copy raised by K and of the second lowered by K.
        private static Tensor Whole(Tensor traced, long[] shape, int examples)
        {
            var size = 10.0 * (1 + traced.abs().max().item<float>());
            var mark = zeros(shape, dtype: traced.dtype);
            mark.select(examples, 0).fill_(size);
            mark.select(examples, 1).fill_(-size);
            return traced.expand(shape) + mark;
        }

        // A Linear's and a LayerNorm's units and inputs run along the last dimension; a convolution's and a batch norm's along dimension 1.
        private static int ChannelDimension(nn.Module module, Tensor tensor) => module is Linear or LayerNorm ? (int)tensor.dim() - 1 : 1;

        private static long[] Expanded(Tensor tensor, long batch) => [batch, .. tensor.shape.Skip(1)];

        // The dimension a layer's batch runs along: where the traced tensor (a batch of 1) has 1 and the probe's has its batch.
        private static int BatchDimension(long[] traced, long[] probed, long batch)
        {
            for (var d = 0; d < Math.Min(traced.Length, probed.Length); d++)
            {
                if (traced[d] == 1 && probed[d] == batch)
                {
                    return d;
                }
            }

            return 0;
        }
    }
}
