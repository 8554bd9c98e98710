namespace Lottery.Export.Graphs;

/// <summary>
/// A model whose <c>forward</c> graph export can read. Lottery's source generator implements it for every model class it
/// generates code for (a class with [Prunable] members or [PruneSchedule]s) by writing the class's own
/// <c>forward(Tensor)</c> a second time over <see cref="Traced"/> values: module calls, the supported functions of
/// <c>torch.nn.functional</c> and <c>torch</c>, tensor methods and operators become graph nodes, while ordinary C#
/// (conditions on sizes, loops over a <c>ModuleList</c>, fields) runs as written. A <c>forward</c> using anything else
/// is written as a method that throws <see cref="GraphCaptureException"/> naming the file, the line and what it met.
/// </summary>
public interface ITraceable
{
    /// <summary>The model's <c>forward</c> over a traced value; called by <see cref="GraphCapture"/>, not by user code.</summary>
    Traced Trace(Traced input);
}
