using Lottery.Criteria;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// One layer to prune, named by the code that declares it (the source generator, or a person): the layer
/// itself, and what it overrides of the schedule's settings.
/// </summary>
/// <param name="Member">The field or property holding the layer, for messages (for example <c>fc1</c>).</param>
/// <param name="Layer">The layer: a Linear or Conv1d/2d/3d module registered on the model.</param>
public sealed record PrunableLayer(string Member, nn.Module Layer)
{
    /// <summary>This layer's own rate, overriding the schedule's; null to use the schedule's.</summary>
    public double? Rate { get; init; }

    /// <summary>This layer's own criterion, overriding the run's; null to use the run's.</summary>
    public IPruningCriterion? Criterion { get; init; }

    /// <summary>Also prune the layer's bias.</summary>
    public bool PruneBias { get; init; }

    /// <summary>What a pruning event removes: single weights, or whole neurons (Linear) or channels (Conv) with their biases.</summary>
    public Structure Structure { get; init; }

    /// <summary>
    /// One parameter of <see cref="Layer"/> to mask instead of the layer's weights, by its name on that module (a
    /// <c>[Prunable] Parameter</c> field: <c>positions</c>); null for a layer.
    /// </summary>
    public string? ParameterName { get; init; }

    /// <summary>
    /// An attention or Transformer layer's heads (<c>[Prunable(Heads = 4)]</c>): pruning by dependency groups removes
    /// whole heads of it (<see cref="Lottery.Groups.DependencyGroups.Of"/>); null when not given.
    /// </summary>
    public int? Heads { get; init; }
}
