namespace Lottery.Generators.Models;

/// <summary>Everything the emitter needs to write a model's pruning code.</summary>
/// <param name="Hierarchy">Where the model is declared.</param>
/// <param name="Layers">The [Prunable] members in declaration order.</param>
/// <param name="Schedules">The [PruneSchedule] declarations in declaration order; the first is the default.</param>
/// <param name="CanCreate">Whether the model has a constructor callable with no arguments and takes and returns a Tensor, so that <c>CreateRun</c> can create it.</param>
internal sealed record ModelInfo(TypeHierarchy Hierarchy, EquatableArray<LayerInfo> Layers, EquatableArray<ScheduleInfo> Schedules, bool CanCreate);
