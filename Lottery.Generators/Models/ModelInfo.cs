namespace Lottery.Generators.Models;

/// <summary>Everything the emitter needs to write a model's pruning code.</summary>
/// <param name="Hierarchy">Where the model is declared.</param>
/// <param name="Layers">The [Prunable] members in declaration order.</param>
/// <param name="Schedules">The [PruneSchedule] declarations in declaration order; the first is the default.</param>
/// <param name="CanCreate">Whether the model has a constructor callable with no arguments and takes and returns a Tensor, so that <c>CreateRun</c> can create it.</param>
internal sealed record ModelInfo(TypeHierarchy Hierarchy, EquatableArray<LayerInfo> Layers, EquatableArray<ScheduleInfo> Schedules, bool CanCreate)
{
    /// <summary>The declared [Chain], or null when the model declares none.</summary>
    public ChainInfo? Chain { get; init; }

    /// <summary>The model's forward written over traced values for graph export, or null when the runtime has no graph export.</summary>
    public TraceInfo? Trace { get; init; }
}

/// <summary>A model's declared chain of layers.</summary>
/// <param name="Members">The members holding the modules, in order.</param>
/// <param name="InputShape">One sample's shape, without the batch dimension.</param>
/// <param name="EmitForward">Whether the class writes no forward of its own, so the generator writes one that runs the chain.</param>
internal sealed record ChainInfo(EquatableArray<string> Members, EquatableArray<int> InputShape, bool EmitForward);
