using Lottery.Generators.Models;
using Lottery.Generators.Vocabulary;
using Lottery.Generators.Parsing;

namespace Lottery.Generators.Emitting;

/// <summary>Writes a model's pruning code: the layer table, mask registration, typed mask access, the ticket, the schedules.</summary>
internal static class ModelEmitter
{
    private const string Masks = "global::Lottery.Masks";

    public static string Emit(ModelInfo model)
    {
        var name = model.Hierarchy.Type.Name;
        return SourceFile.Write(
            model.Hierarchy,
            $"Pruning code for {name}, from its [Prunable]{(model.Schedules.Count > 0 ? " and [PruneSchedule]" : string.Empty)} declarations.",
            model.Chain is null ? $" : {Masks}.IPrunableModel" : $" : {Masks}.IPrunableModel, global::Lottery.Compaction.IChainModel",
            writer =>
            {
                WriteLayerTable(writer, model);
                WriteMasks(writer, model);
                WriteAccessors(writer, model);
                WriteTicket(writer);
                if (model.Chain is { } chain)
                {
                    WriteChain(writer, model, chain);
                }

                if (model.Schedules.Count > 0)
                {
                    WriteSchedules(writer, model);
                }

                if (model.CanCreate)
                {
                    WriteCreateRun(writer, model);
                }
            });
    }

    private static void WriteLayerTable(IndentedWriter writer, ModelInfo model)
    {
        writer.Line("/// <summary>The layers declared [Prunable], in declaration order, with what each overrides of the schedule.</summary>");
        writer.Line(SourceFile.GeneratedCodeAttribute);
        writer.Line("public static global::System.Collections.Generic.IReadOnlyList<global::Lottery.LayerDeclaration> PrunableLayers { get; } =");
        writer.Line("[");
        foreach (var layer in model.Layers)
        {
            var overrides = new List<string>();
            if (layer.Rate is { } rate)
            {
                overrides.Add($"Rate = {ValueText.DoubleLiteral(rate)}");
            }

            if (layer.Criterion is { } criterion)
            {
                overrides.Add($"Criterion = global::Lottery.CriterionKind.{criterion}");
            }

            if (layer.PruneBias)
            {
                overrides.Add("PruneBias = true");
            }

            if (layer.Structure is { } structure)
            {
                overrides.Add($"Structure = global::Lottery.Structure.{structure}");
            }

            if (layer.Heads is { } heads)
            {
                overrides.Add($"Heads = {heads.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            }

            var initializer = overrides.Count == 0 ? string.Empty : $" {{ {string.Join(", ", overrides)} }}";
            writer.Line($"    new(\"{layer.Member}\", \"{layer.LayerType}\"){initializer},");
        }

        writer.Line("];");
        writer.Line();
    }

    private static void WriteMasks(IndentedWriter writer, ModelInfo model)
    {
        writer.Lines($$"""
            /// <summary>The masks, once <see cref="AttachMasks"/> has registered them; null before.</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public {{Masks}}.MaskSet? Masks { get; private set; }

            /// <summary>Fraction of the prunable weights still remaining (the masks must be attached).</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public double WeightsRemaining => AttachedMasks.WeightsRemaining;

            /// <summary>
            /// Registers a mask buffer on each [Prunable] layer, this class's own and those its submodules declare at any
            /// depth (fields, Sequential, ModuleList, ModuleDict), named as the state dictionary names them, or adopts the
            /// buffers a loaded ticket brought; returns the masks, and later calls return the same set. Pruned weights are
            /// kept at zero in place (gradients and optimizer state are masked by the trainer), so forward needs no change.
            /// </summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public {{Masks}}.MaskSet AttachMasks() => Masks ??= {{Masks}}.MaskSet.Attach(this, {{Masks}}.DeclaredLayers.Of(this));

            /// <summary>The layers this class itself declares [Prunable] (its submodules' come from their own), for <see cref="{{Masks}}.DeclaredLayers"/>.</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            global::System.Collections.Generic.IReadOnlyList<{{Masks}}.PrunableLayer> {{Masks}}.IPrunableModel.OwnLayers() =>
            [
            """);
        for (var i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            var member = layer.Member;

            // A weight held as a Parameter field is masked on this module, under the name RegisterComponents gives it.
            string Entry(string held) => layer.IsParameter ? $"PrunableLayers[{i}].ForParameter(this, \"{member}\")" : $"PrunableLayers[{i}].For({held})";
            writer.Line(layer.MayBeNull
                ? $"    .. (this.{member} is {{ }} {Local(member)} ? [{Entry(Local(member))}] : global::System.Array.Empty<{Masks}.PrunableLayer>()),"
                : $"    {Entry($"this.{member}")},");
        }

        writer.Lines($$"""
            ];

            {{SourceFile.GeneratedCodeAttribute}}
            private {{Masks}}.MaskSet AttachedMasks =>
                Masks {{string.Concat(model.Layers.Where(l => !l.MayBeNull).Take(1).Select(l => $"?? {Masks}.MaskSet.Holding({(l.IsParameter ? "this" : $"this.{l.Member}")}) "))}}?? throw new global::System.InvalidOperationException("{{model.Hierarchy.Type.Name}} has no masks yet: call AttachMasks() (or LoadTicket, LoadPrunedModel) on it or on the model that holds it first.");

            """);
    }

    /// <summary>
    /// Each accessor asks the mask set for its own layer's parameter, by the layer object: a position in the list
    /// would shift whenever an earlier layer has one mask more or fewer.
    /// </summary>
    private static void WriteAccessors(IndentedWriter writer, ModelInfo model)
    {
        // An attention or transformer layer's masks are several (masks["name.self_attn.in_proj_weight"]): no one accessor.
        foreach (var layer in model.Layers.Where(l => !KnownNames.ManyWeightLayers.Contains(l.LayerType)))
        {
            WriteAccessor(writer, layer, layer.AccessorName, layer.IsParameter ? layer.Member : "weight");
            if (layer.PruneBias)
            {
                WriteAccessor(writer, layer, layer.AccessorName + "Bias", "bias");
            }
        }
    }

    // A layer's parameter is found by the layer object; a Parameter member's mask by this module and the member's name.
    private static void WriteAccessor(IndentedWriter writer, LayerInfo layer, string stem, string parameter)
    {
        var of = layer.IsParameter ? string.Empty : $"'s {parameter}";
        var kind = layer.IsParameter ? "parameter" : "layer";
        writer.Lines(layer.MayBeNull
            ? $$"""
            /// <summary>The mask of <see cref="{{layer.Member}}"/>{{of}}, with its counts (the masks must be attached); null when the model has no such {{kind}}.</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public {{Masks}}.PrunableWeight? {{stem}}Mask => this.{{layer.Member}} is { } layer ? AttachedMasks.Of({{(layer.IsParameter ? "this" : "layer")}}, "{{parameter}}") : null;

            /// <summary>Fraction of <see cref="{{layer.Member}}"/>{{of}} pruned; null when the model has no such {{kind}}.</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public double? {{stem}}Sparsity => {{stem}}Mask?.Sparsity;

            """
            : $$"""
            /// <summary>The mask of <see cref="{{layer.Member}}"/>{{of}}, with its counts (the masks must be attached).</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public {{Masks}}.PrunableWeight {{stem}}Mask => AttachedMasks.Of({{(layer.IsParameter ? "this" : $"this.{layer.Member}")}}, "{{parameter}}");

            /// <summary>Fraction of <see cref="{{layer.Member}}"/>{{of}} pruned.</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public double {{stem}}Sparsity => {{stem}}Mask.Sparsity;

            """);
    }

    private static void WriteTicket(IndentedWriter writer) =>
        writer.Lines($$"""
            /// <summary>
            /// Attaches the masks if needed, then loads a ticket (masks with the weights training starts from) saved by a
            /// pruning run's <c>SaveTicket</c>. A pruned model's file is refused: load it with <see cref="LoadPrunedModel"/>.
            /// </summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public void LoadTicket(string path) => {{Masks}}.Ticket.Load(this, AttachMasks(), path);

            /// <summary>
            /// Saves the pruned model: the masks with the weights as they are now (trained), pruned weights zero, in
            /// Lottery's sparse file, whose size follows the weights remaining; written atomically.
            /// </summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public void SavePrunedModel(string path) => {{Masks}}.PrunedModel.Save(this, AttachedMasks, path);

            /// <summary>Attaches the masks if needed, then loads a pruned model saved by <see cref="SavePrunedModel"/> or a pruning run.</summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public void LoadPrunedModel(string path) => {{Masks}}.PrunedModel.Load(this, path, AttachMasks());

            /// <summary>
            /// Saves the weights (pruned entries zero) without masks, in TorchSharp's format: a plain instance of this class,
            /// or of a copy of it without Lottery's attributes, loads the file with <c>load(path)</c>.
            /// </summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public void SavePlainModel(string path) => {{Masks}}.PrunedModel.SavePlain(this, AttachedMasks, path);
            """);

    private static void WriteChain(IndentedWriter writer, ModelInfo model, ChainInfo chain)
    {
        const string Tensor = "global::TorchSharp.torch.Tensor";
        var shape = string.Join(", ", chain.InputShape.Select(s => $"{s}L"));
        writer.Line();
        writer.Line("/// <summary>One sample's shape, without the batch dimension, as the [Chain] declares it.</summary>");
        writer.Line(SourceFile.GeneratedCodeAttribute);
        writer.Line($"public static global::System.Collections.Generic.IReadOnlyList<long> ChainInputShape {{ get; }} = [{shape}];");
        writer.Line();
        writer.Line(SourceFile.GeneratedCodeAttribute);
        writer.Line("global::System.Collections.Generic.IReadOnlyList<long> global::Lottery.Compaction.IChainModel.InputShape => ChainInputShape;");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// The declared [Chain] as an nn.Sequential that shares this model's layers (no copy): for inspection, compaction");
        writer.Line("/// and export. Do not dispose it while the model is in use; disposing it disposes the shared layers.");
        writer.Line("/// </summary>");
        writer.Line(SourceFile.GeneratedCodeAttribute);
        writer.Line("public global::TorchSharp.Modules.Sequential ToSequential() => global::TorchSharp.torch.nn.Sequential(");
        for (var i = 0; i < chain.Members.Count; i++)
        {
            writer.Line($"    (\"{chain.Members[i]}\", (global::TorchSharp.torch.nn.Module<{Tensor}, {Tensor}>)this.{chain.Members[i]}){(i < chain.Members.Count - 1 ? "," : ");")}");
        }

        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// A physically smaller copy of this (pruned) model: dead units and the inputs they fed removed, the constants");
        writer.Line("/// of dead units folded into the next layer's bias. Checked against this model's own forward on random samples;");
        writer.Line("/// a chain that does not compute what forward computes throws CompactionMismatchException. The result's Model is");
        writer.Line("/// the caller's to dispose; the Sequential view of this model it was made from is left to the garbage collector.");
        writer.Line("/// </summary>");
        writer.Line(SourceFile.GeneratedCodeAttribute);
        writer.Line($"public global::Lottery.Compaction.CompactionResult Compact() => global::Lottery.Compaction.Compactor.CompactDeclared(this, ToSequential(), [{shape}]);");
        if (chain.EmitForward)
        {
            writer.Line();
            writer.Line("/// <summary>Runs the declared [Chain]: each member's module on the previous one's output.</summary>");
            writer.Line(SourceFile.GeneratedCodeAttribute);
            writer.Line($"public override {Tensor} forward({Tensor} input)");
            writer.Line("{");
            writer.Line("    using var scope = global::TorchSharp.torch.NewDisposeScope();");
            writer.Line($"    var x = this.{chain.Members[0]}.call(input);");
            foreach (var member in chain.Members.Skip(1))
            {
                writer.Line($"    x = this.{member}.call(x);");
            }

            writer.Line("    return x.MoveToOuterDisposeScope();");
            writer.Line("}");
        }
    }

    private static void WriteSchedules(IndentedWriter writer, ModelInfo model)
    {
        const string Method = "global::Lottery.Runs.PruningMethod";
        writer.Line();
        writer.Line("/// <summary>The schedules declared with [PruneSchedule], each as one pruning-method value (every setting, nothing defaulted later).</summary>");
        writer.Line(SourceFile.GeneratedCodeAttribute);
        using (writer.Block("public static class PruneSchedules"))
        {
            foreach (var schedule in model.Schedules)
            {
                writer.Line($"/// <summary>{Describe(schedule)}.</summary>");
                writer.Line($"public static {Method} {schedule.Name} {{ get; }} = new()");
                writer.Line("{");
                foreach (var line in MethodProperties(schedule))
                {
                    writer.Line($"    {line},");
                }

                writer.Line("};");
                writer.Line();
            }

            writer.Line($"/// <summary>The first declared schedule, {model.Schedules[0].Name}.</summary>");
            writer.Line($"public static {Method} Default => {model.Schedules[0].Name};");
            writer.Line();
            writer.Line("/// <summary>Every declared schedule as an experiment arm of the same name, in declaration order.</summary>");
            writer.Line("public static global::System.Collections.Generic.IReadOnlyList<global::Lottery.Experiments.MethodArm> All { get; } =");
            writer.Line("[");
            foreach (var schedule in model.Schedules)
            {
                writer.Line($"    new(\"{schedule.Name}\", {schedule.Name}),");
            }

            writer.Line("];");
        }
    }

    private static void WriteCreateRun(IndentedWriter writer, ModelInfo model)
    {
        var full = model.Hierarchy.FullName;
        var method = model.Schedules.Count > 0
            ? "global::Lottery.Runs.PruningMethod? method = null"
            : "global::Lottery.Runs.PruningMethod method";
        var settings = model.Schedules.Count > 0 ? "(method ?? PruneSchedules.Default).ToSettings()" : "method.ToSettings()";
        writer.Lines($$"""

            /// <summary>
            /// A seeded run that creates a fresh {{model.Hierarchy.Type.Name}}, attaches its declared masks and trains and prunes it
            /// {{(model.Schedules.Count > 0 ? "by the given method (default: the first declared schedule)" : "by the given method")}}.
            /// </summary>
            {{SourceFile.GeneratedCodeAttribute}}
            public static global::Lottery.Runs.PruningRun CreateRun(global::Lottery.Training.TrainingSettings training, {{method}}) =>
                new(static () => new {{full}}(), training, {{settings}});
            """);
    }

    // Every value is written out, so the value says everything about the method and nothing is defaulted later.
    private static IEnumerable<string> MethodProperties(ScheduleInfo schedule)
    {
        yield return $"Schedule = global::Lottery.ScheduleKind.{schedule.Kind}";
        yield return $"Rate = {ValueText.DoubleLiteral(schedule.Rate)}";
        if (schedule.TargetRemaining is { } target)
        {
            yield return $"TargetRemaining = {ValueText.DoubleLiteral(target)}";
        }

        if (schedule.Rounds is { } rounds)
        {
            yield return $"Rounds = {rounds.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        if (schedule.StartEpoch is { } start)
        {
            yield return $"StartEpoch = {start.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        if (schedule.EndEpoch is { } end)
        {
            yield return $"EndEpoch = {end.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        if (schedule.Descriptor.Takes("InitialSparsity"))
        {
            yield return $"InitialSparsity = {ValueText.DoubleLiteral(schedule.InitialSparsity)}";
        }

        yield return $"Criterion = global::Lottery.CriterionKind.{schedule.Criterion}";
        if (schedule.CriterionName is { } own)
        {
            yield return $"CriterionName = {ValueText.StringLiteral(own)}";
        }

        if (schedule.ScoringBatchSize is { } batch)
        {
            yield return $"ScoringBatchSize = {batch.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        yield return $"Scope = global::Lottery.Masks.PruningScope.{schedule.Scope}";
        if (schedule.Groups)
        {
            yield return "Groups = true";
        }

        if (schedule.RoundTo is { } roundTo)
        {
            yield return $"RoundTo = {roundTo.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        yield return $"Rewind = global::Lottery.Schedules.RewindKind.{schedule.Rewind}";
        if (schedule.Rewind == nameof(RewindKind.ToEpoch))
        {
            yield return $"RewindEpoch = {schedule.RewindEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        if (schedule.Descriptor.RegrowsConnections)
        {
            yield return $"Regrowth = global::Lottery.RegrowthKind.{schedule.Regrowth ?? RegrowthKind.Random}";
            yield return $"DropFraction = {ValueText.DoubleLiteral(schedule.DropFraction)}";
            yield return $"UpdateEvery = {schedule.UpdateEvery.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        if (schedule.Epochs is { } epochs)
        {
            yield return $"Epochs = {epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        if (schedule.EarlyBirdDistance is { } bird)
        {
            yield return $"EarlyBird = new global::Lottery.Schedules.EarlyBirdStop({ValueText.DoubleLiteral(bird)}, {schedule.EarlyBirdEpochs.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
        }
    }

    // A local variable's name for a member's value (members may start with an underscore or be keywords elsewhere).
    private static string Local(string member) => "present" + char.ToUpperInvariant(member.TrimStart('_')[0]) + member.TrimStart('_').Substring(1);

    private static string Describe(ScheduleInfo schedule)
    {
        var what = schedule.Descriptor.Describe(schedule.Values);
        var target = schedule.TargetRemaining is { } t ? $", down to {ValueText.Percent(t)} of the weights" : string.Empty;
        var rewind = schedule.Rewind == nameof(RewindKind.ToEpoch) ? $"ToEpoch({schedule.RewindEpoch})" : schedule.Rewind;
        var batch = schedule.ScoringBatchSize is { } size ? $"; scoring batches of {size}" : string.Empty;
        var length = schedule.Epochs is { } epochs ? $"; {epochs} epochs of training{(schedule.Descriptor.TrainsInRounds ? " a round" : string.Empty)} in an experiment" : string.Empty;
        var groups = schedule.Groups ? " by dependency groups" : string.Empty;
        return $"{what}{target}; {schedule.CriterionName ?? schedule.Criterion}, {schedule.Scope}{groups}, rewind {rewind}{batch}{length}";
    }
}
