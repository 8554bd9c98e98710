using System.Globalization;
using Lottery.Compaction.Modules;
using Lottery.Groups;
using Lottery.Masks;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Compaction;

public static partial class Compactor
{
    /// <summary>
    /// Makes <paramref name="model"/> physically smaller in place: every unit of its dependency groups that was pruned
    /// whole (every slice of it zero: the producing layers' rows and biases, the norms' entries, the consumers' input columns)
    /// is removed from each layer it spans, and the layers' sizes follow, so the model's own <c>forward</c> runs unchanged on
    /// the smaller layers. The groups are traced on <paramref name="example"/> (<see cref="DependencyGroups.Of"/>), and the
    /// compacted model is checked against the model as it was on <paramref name="example"/>: if it differs by more than
    /// 1e-4, the model is put back as it was and the error says so.
    /// </summary>
    /// <param name="model">The pruned model (any class; its layers Linear, convolutions, batch norms, LayerNorm, or modules without parameters).</param>
    /// <param name="example">One input of the model, with its batch dimension.</param>
    /// <param name="masks">The model's masks, sliced with their parameters; by default the model's own (<see cref="IPrunableModel.Masks"/>).</param>
    /// <returns>What was removed, group by group, and the parameters before and after.</returns>
    /// <exception cref="NotSupportedException">The groups cannot be traced (<see cref="DependencyGroups.Trace"/>).</exception>
    /// <exception cref="CompactionMismatchException">The compacted model does not compute what the model computed (the model is unchanged).</exception>
    public static InPlaceCompaction CompactInPlace(nn.Module<Tensor, Tensor> model, Tensor example, MaskSet? masks = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(example);
        return CompactInPlace(model, DependencyGroups.Of(model, example), masks, example);
    }

    /// <summary>
    /// As <see cref="CompactInPlace(nn.Module{Tensor, Tensor}, Tensor, MaskSet?)"/>, by <paramref name="groups"/> given (traced
    /// before, or the model's mask set's); with <paramref name="check"/>, the compacted model is compared with the model as it
    /// was on that input, and put back on a difference.
    /// </summary>
    /// <remarks>
    /// A unit stays when any slice of it is nonzero, when it is the last of its group, or when its group cannot lose it
    /// exactly: a LayerNorm normalizes over it, a module Lottery cannot resize holds a slice of it (TorchSharp's native
    /// attention and Transformer layers), or a grouped convolution would lose channels unevenly across its groups. The
    /// report says which groups stayed and why. The mask set's masks and initial weights are sliced with their parameters
    /// and its groups are dropped (their indices no longer hold); an optimizer made before compaction, and a run's criterion
    /// state, do not follow: compact after training, or make them anew.
    /// </remarks>
    /// <exception cref="ArgumentException">The groups name a parameter the model does not have.</exception>
    /// <exception cref="CompactionMismatchException">With <paramref name="check"/>: the compacted model does not compute what the model computed (the model is unchanged).</exception>
    public static InPlaceCompaction CompactInPlace(nn.Module<Tensor, Tensor> model, DependencyGroups groups, MaskSet? masks = null, Tensor? check = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(groups);
        masks ??= (model as IPrunableModel)?.Masks ?? model.modules().Select(MaskSet.Holding).FirstOrDefault(held => held is not null);
        using var noGrad = no_grad();
        var plan = new RemovalPlan(model, groups, masks);
        var before = model.parameters().Sum(p => p.numel());
        Tensor? expected = null;
        if (check is not null)
        {
            using var modes = new EvaluationModeScope(model);
            expected = model.call(check).detach().clone().DetachFromDisposeScope();
        }

        using (expected)
        {
            var (undo, commit) = plan.Apply();
            if (expected is not null)
            {
                try
                {
                    CheckUnchanged(model, check!, expected);
                }
                catch
                {
                    undo();
                    throw;
                }
            }

            commit();
        }

        return new InPlaceCompaction(plan.Outcomes, before, model.parameters().Sum(p => p.numel()));
    }

    private static void CheckUnchanged(nn.Module<Tensor, Tensor> model, Tensor input, Tensor expected)
    {
        using var modes = new EvaluationModeScope(model);
        using var scope = NewDisposeScope();
        Tensor actual;
        try
        {
            actual = model.call(input);
        }
        catch (Exception error) when (error is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new CompactionMismatchException(
                $"{model.GetType().Name}'s forward fails on its compacted layers, so the model was put back as it was: {error.Message.Split('\n')[0].Trim()}. Its forward probably writes a layer's size into a reshape or a slice (compute it from the tensor instead: x.flatten(1), x.shape[1]); if it does not, a layer's output meets a tensor the trace did not follow: report this with the model.",
                double.NaN);
        }

        var difference = actual.shape.SequenceEqual(expected.shape)
            ? (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>()
            : double.PositiveInfinity;
        if (!(difference <= 1e-4))
        {
            throw new CompactionMismatchException(
                string.Create(CultureInfo.InvariantCulture, $"{model.GetType().Name} compacted in place computes other outputs than before (largest difference {difference:G6}), so it was put back as it was. A layer its forward uses is probably not traced in its groups: report this with the model."),
                difference);
        }
    }

    /// <summary>
    /// Gives a fresh instance of a model's class the sizes a compacted model of it had (<see cref="ModuleSizes.Of"/>,
    /// read back from a compacted model's file), so that the compacted weights load into it: each named module's
    /// parameters and buffers get the shapes <paramref name="shapes"/> gives (their values are not kept: load the weights
    /// next), and its sizes are set.
    /// </summary>
    /// <exception cref="InvalidDataException">A module named is not in the model, or is of another kind than the sizes say.</exception>
    public static void Resize(nn.Module model, IReadOnlyDictionary<string, ModuleSizes> sizes, IReadOnlyDictionary<string, long[]> shapes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(shapes);
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, size) in sizes)
        {
            var module = modules.GetValueOrDefault(name);
            var kind = module is null ? null : ModuleKind.ResizableOf(module);
            if (module is null || kind is null || kind.Name != size.Kind)
            {
                throw new InvalidDataException(
                    $"The compacted model has a {size.Kind} named '{name}', but {model.GetType().Name} has {(module is null ? "no module of that name" : $"a {module.GetType().Name} there")}: load it into the class it was compacted from.");
            }

            foreach (var tensor in module.named_parameters(recurse: false).Select(p => ((string, Tensor))(p.name, p.parameter)).Concat(module.named_buffers(recurse: false)))
            {
                var full = name.Length == 0 ? tensor.Item1 : $"{name}.{tensor.Item1}";
                if (shapes.TryGetValue(full, out var shape) && !tensor.Item2.shape.SequenceEqual(shape))
                {
                    using var empty = zeros(shape, tensor.Item2.dtype, tensor.Item2.device);
                    tensor.Item2.set_(empty);
                }
            }

            kind.Resize(module, size.Sizes);
        }

        model.zero_grad();
    }

    /// <summary>Which units of which groups go, checked before anything changes; then the slicing.</summary>
    private sealed class RemovalPlan
    {
        private readonly nn.Module model;
        private readonly MaskSet? masks;
        private readonly Dictionary<string, Tensor> parameters;
        private readonly Dictionary<string, nn.Module> modules;
        private readonly Dictionary<string, Cut> cuts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Tensor> effective = new(StringComparer.Ordinal);

        public RemovalPlan(nn.Module model, DependencyGroups groups, MaskSet? masks)
        {
            this.model = model;
            this.masks = masks;
            parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
            modules = model.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
            modules.TryAdd(string.Empty, model);   // named_modules() leaves out the model itself, which may hold parameters too
            var unknown = groups.Groups.SelectMany(g => g.Units).SelectMany(u => u.Members).Select(m => m.Parameter).Where(p => !parameters.ContainsKey(p)).Distinct().ToList();
            if (unknown.Count > 0)
            {
                throw new ArgumentException($"The groups name parameters {model.GetType().Name} does not have ({string.Join(", ", unknown.Take(5))}): they were traced on another model, or before it was compacted.", nameof(groups));
            }

            List<(DependencyGroup Group, List<CoupledUnit> Removed, string? Reason)> decided;
            try
            {
                decided = groups.Groups.Select(Decide).ToList();
            }
            finally
            {
                foreach (var values in effective.Values)
                {
                    values.Dispose();
                }

                effective.Clear();
            }

            // A grouped convolution must lose channels evenly over its groups: the groups that would cut it otherwise stay whole.
            while (true)
            {
                cuts.Clear();
                foreach (var (group, removed) in decided.Where(d => d.Reason is null).Select(d => (d.Group, d.Removed)))
                {
                    foreach (var member in removed.SelectMany(u => u.Members))
                    {
                        Add(member);
                    }
                }

                var uneven = cuts.Select(c => (Name: c.Key, Owner: Owner(c.Key), Cut: c.Value))
                    .Select(c => (c.Name, Why: ModuleKind.ResizableOf(c.Owner.Module)!.CannotSlice(c.Owner.Module, c.Cut.Rows, c.Cut.GroupColumns)))
                    .FirstOrDefault(c => c.Why is not null);
                if (uneven.Why is null)
                {
                    break;
                }

                var owner = Owner(uneven.Name).Name;
                for (var i = 0; i < decided.Count; i++)
                {
                    if (decided[i].Reason is null && decided[i].Removed.SelectMany(u => u.Members).Any(m => Owner(m.Parameter).Name == owner))
                    {
                        decided[i] = decided[i] with { Reason = $"{owner}: {uneven.Why}" };
                    }
                }
            }

            Outcomes = decided.Select(d => new CompactedGroup(d.Group.Layers, d.Group.Units.Count, d.Group.Units.Count - (d.Reason is null ? d.Removed.Count : 0), d.Removed.Count, d.Reason) { What = d.Group.What }).ToList();
        }

        public IReadOnlyList<CompactedGroup> Outcomes { get; }

        /// <summary>
        /// Slices every cut parameter and what follows it (put back as it was if anything fails); returns how to put
        /// everything back, and how to let go of the copies that would (once the compacted model is kept).
        /// </summary>
        public (Action Undo, Action Commit) Apply()
        {
            var originals = new List<(Tensor Tensor, Tensor Original)>();
            var resized = new List<(nn.Module Module, ModuleKind Kind, IReadOnlyDictionary<string, long> Sizes)>();
            var done = new HashSet<IntPtr>();
            void Slice(Tensor tensor, Cut cut, nn.Module owner)
            {
                if (!done.Add(tensor.Handle))
                {
                    return;
                }

                originals.Add((tensor, tensor.detach().clone().DetachFromDisposeScope()));
                using var smaller = cut.Apply(tensor, owner);
                tensor.set_(smaller);
            }

            var owners = cuts.Keys.Select(Owner).DistinctBy(o => o.Name).ToList();
            foreach (var (name, module) in owners)
            {
                resized.Add((module, ModuleKind.ResizableOf(module)!, ModuleKind.ResizableOf(module)!.Sizes(module)));
            }

            var groups = masks?.Groups;
            void Undo()
            {
                using var noGrad = no_grad();
                foreach (var (tensor, original) in originals)
                {
                    tensor.set_(original);
                    original.Dispose();
                }

                originals.Clear();
                foreach (var (module, kind, sizes) in resized)
                {
                    kind.Resize(module, sizes);
                }

                masks?.Resized(groups);
            }

            try
            {
                SliceAll(Slice);
                foreach (var (module, kind, sizes) in resized)
                {
                    kind.Resize(module, kind.SizesFromParameters(module, sizes));
                }

                masks?.Resized(null);
                model.zero_grad();
            }
            catch
            {
                Undo();
                throw;
            }

            return (Undo, () =>
            {
                originals.ForEach(o => o.Original.Dispose());
                originals.Clear();
            });
        }

        // Slices every cut parameter, its mask (buffer or held in the set), its initial weights, and a norm's statistics.
        private void SliceAll(Action<Tensor, Cut, nn.Module> slice)
        {
            foreach (var (name, cut) in cuts)
            {
                var (ownerName, owner) = Owner(name);
                var leaf = name[(ownerName.Length == 0 ? 0 : ownerName.Length + 1)..];
                slice(parameters[name], cut, owner);
                if (owner.named_buffers(recurse: false).FirstOrDefault(b => b.name == leaf + MaskSet.MaskBufferSuffix).buffer is { } buffer)
                {
                    slice(buffer, cut, owner);
                }

                if (masks?.Weights.FirstOrDefault(w => w.Name == name) is { } weight)
                {
                    slice(weight.Mask, cut, owner);
                    if (masks.InitialWeightOrNull(weight) is { } initial)
                    {
                        slice(initial, cut, owner);
                    }
                }

                // A norm's running statistics go with its weight's entries.
                if (leaf == "weight")
                {
                    foreach (var statistic in ModuleKind.ResizableOf(owner)!.UnitBuffers(owner))
                    {
                        if (owner.named_buffers(recurse: false).FirstOrDefault(b => b.name == statistic).buffer is { } running)
                        {
                            slice(running, new Cut { Rows = cut.Rows }, owner);
                        }
                    }
                }
            }

        }

        private (DependencyGroup Group, List<CoupledUnit> Removed, string? Reason) Decide(DependencyGroup group)
        {
            var owners = group.Units.SelectMany(u => u.Members).Select(m => Owner(m.Parameter)).DistinctBy(o => o.Name).ToList();
            var foreign = owners.FirstOrDefault(o => ModuleKind.ResizableOf(o.Module) is null);
            var removed = group.Units.Where(IsZero).ToList();
            if (removed.Count == group.Units.Count)
            {
                removed.RemoveAt(0);   // the last unit stays, so that every layer keeps a shape
            }

            if (removed.Count == 0)
            {
                return (group, removed, null);
            }

            if (foreign.Module is not null)
            {
                var instead = foreign.Module is TransformerEncoderLayer or MultiheadAttention
                    ? "; build it as Lottery.Layers.EncoderLayer (the same parameters, by the same names), whose heads and neurons compaction removes"
                    : string.Empty;
                return (group, removed, $"{(foreign.Name.Length == 0 ? model.GetType().Name : foreign.Name)} is a {foreign.Module.GetType().Name}, whose size compaction in place cannot change (it changes {ModuleKind.Resizable}){instead}");
            }

            var inexact = owners.Select(o => (o.Name, Why: ModuleKind.ResizableOf(o.Module)!.Inexact(o.Module))).FirstOrDefault(o => o.Why is not null);
            return (group, removed, inexact.Why is null ? null : $"{inexact.Name}: {inexact.Why}");
        }

        private bool IsZero(CoupledUnit unit)
        {
            using var scope = NewDisposeScope();
            return unit.Members.All(member => member.Select(Effective(member.Parameter)).count_nonzero().item<long>() == 0);
        }

        // A parameter times its mask (held in the set, or a buffer beside it), made once per parameter: a group's units
        // all read the same few parameters.
        private Tensor Effective(string name)
        {
            if (!effective.TryGetValue(name, out var values))
            {
                var (ownerName, owner) = Owner(name);
                var leaf = name[(ownerName.Length == 0 ? 0 : ownerName.Length + 1)..];
                var mask = masks?.Weights.FirstOrDefault(w => w.Name == name)?.Mask
                    ?? owner.named_buffers(recurse: false).FirstOrDefault(b => b.name == leaf + MaskSet.MaskBufferSuffix).buffer;
                effective[name] = values = (mask is null ? parameters[name].detach().clone() : parameters[name].detach() * mask).DetachFromDisposeScope();
            }

            return values;
        }

        private void Add(GroupMember member)
        {
            if (!cuts.TryGetValue(member.Parameter, out var cut))
            {
                cuts[member.Parameter] = cut = new Cut();
            }

            if (member.Dimension == 0)
            {
                cut.Rows.UnionWith(member.Indices);
            }
            else if (member.Rows is null)
            {
                cut.Columns.UnionWith(member.Indices);
            }
            else
            {
                var conv = (TorchSharp.Modules.Convolution)Owner(member.Parameter).Module;
                var group = member.Rows[0] / (conv.out_channels / conv.groups);
                if (!cut.GroupColumns.TryGetValue(group, out var columns))
                {
                    cut.GroupColumns[group] = columns = [];
                }

                columns.UnionWith(member.Indices);
            }
        }

        // The module holding a parameter: the longest module name its name starts with.
        private (string Name, nn.Module Module) Owner(string parameter)
        {
            var dot = parameter.LastIndexOf('.');
            var name = dot < 0 ? string.Empty : parameter[..dot];
            while (!modules.ContainsKey(name))
            {
                dot = name.LastIndexOf('.');
                name = dot < 0 ? string.Empty : name[..dot];
            }

            return (name, modules[name]);
        }
    }

    /// <summary>What one parameter loses: rows (output units), columns (inputs) in every row, or in a grouped convolution columns within a group's rows.</summary>
    private sealed class Cut
    {
        public HashSet<long> Rows { get; init; } = [];

        public HashSet<long> Columns { get; } = [];

        public Dictionary<long, HashSet<long>> GroupColumns { get; } = [];

        /// <summary>The tensor (the parameter, its mask, its initial value: any tensor of its shape) without the cut entries, as a new tensor.</summary>
        public Tensor Apply(Tensor tensor, nn.Module owner)
        {
            using var scope = NewDisposeScope();
            var result = tensor.detach();
            if (Rows.Count > 0)
            {
                result = result.index_select(0, Kept(result.shape[0], Rows));
            }

            if (Columns.Count > 0)
            {
                result = result.index_select(1, Kept(result.shape[1], Columns));
            }

            if (GroupColumns.Count > 0)
            {
                var groups = ((TorchSharp.Modules.Convolution)owner).groups;
                var rows = result.shape[0] / groups;
                result = cat(Enumerable.Range(0, (int)groups).Select(g => result.narrow(0, g * rows, rows).index_select(1, Kept(result.shape[1], GroupColumns.GetValueOrDefault(g) ?? []))).ToList(), 0);
            }

            return result.contiguous().clone().MoveToOuterDisposeScope();
        }

        private static Tensor Kept(long size, HashSet<long> removed) =>
            tensor(Enumerable.Range(0, (int)size).Select(i => (long)i).Where(i => !removed.Contains(i)).ToArray());
    }
}

/// <summary>The sizes of one module of a compacted model, as its file records them.</summary>
/// <param name="Kind">The module kind (<c>Linear</c>, <c>Convolution</c>, <c>BatchNorm</c>, <c>LayerNorm</c>).</param>
/// <param name="Sizes">Its sizes: <c>in</c>, <c>out</c>, <c>groups</c>, <c>features</c>.</param>
public sealed record ModuleSizes(string Kind, IReadOnlyDictionary<string, long> Sizes)
{
    /// <summary>The sizes of every module of <paramref name="model"/> whose size compaction can change, by name.</summary>
    public static IReadOnlyDictionary<string, ModuleSizes> Of(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sizes = new Dictionary<string, ModuleSizes>(StringComparer.Ordinal);
        foreach (var (name, module) in model.named_modules())
        {
            if (ModuleKind.ResizableOf(module) is { } kind)
            {
                sizes[name] = new ModuleSizes(kind.Name, kind.Sizes(module));
            }
        }

        return sizes;
    }
}

/// <summary>What compaction in place did to one dependency group.</summary>
/// <param name="Layers">The group's producing layers.</param>
/// <param name="UnitsBefore">Its units before.</param>
/// <param name="UnitsAfter">Its units after.</param>
/// <param name="Pruned">Its units pruned whole (every slice zero), removed or not.</param>
/// <param name="KeptBecause">Why its pruned units were not removed; null when they were (or there were none).</param>
public sealed record CompactedGroup(IReadOnlyList<string> Layers, int UnitsBefore, int UnitsAfter, int Pruned, string? KeptBecause)
{
    /// <summary>What the group's units are (<c>heads</c>, <c>feed-forward neurons</c>); null for channels and neurons.</summary>
    public string? What { get; init; }
}

/// <summary>What <see cref="Compactor.CompactInPlace(nn.Module{Tensor, Tensor}, DependencyGroups, MaskSet?, Tensor?)"/> did.</summary>
/// <param name="Groups">Each dependency group: its units before and after.</param>
/// <param name="ParametersBefore">Entries of every parameter of the model before.</param>
/// <param name="ParametersAfter">Entries of every parameter after.</param>
public sealed record InPlaceCompaction(IReadOnlyList<CompactedGroup> Groups, long ParametersBefore, long ParametersAfter)
{
    /// <summary>One line per group (units before and after, and why pruned units stayed), then the parameter totals.</summary>
    public string Describe()
    {
        var lines = Groups.Select(g => string.Create(
            CultureInfo.InvariantCulture,
            $"{string.Join(" + ", g.Layers)}{(g.What is null ? string.Empty : $" ({g.What})")}: units {g.UnitsBefore} -> {g.UnitsAfter}{(g.KeptBecause is null ? string.Empty : $" ({g.Pruned} pruned units kept: {g.KeptBecause})")}"));
        var total = string.Create(CultureInfo.InvariantCulture, $"parameters {ParametersBefore:N0} -> {ParametersAfter:N0} ({100.0 * ParametersAfter / Math.Max(1, ParametersBefore):F1}%)");
        return string.Join(Environment.NewLine, lines.Append(total));
    }
}
