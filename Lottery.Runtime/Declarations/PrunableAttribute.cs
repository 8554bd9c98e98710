namespace Lottery;

/// <summary>
/// Marks a field or property holding a Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d, Embedding, MultiheadAttention or
/// Transformer layer, or a Parameter, of a <c>partial</c> TorchSharp model (or of a block a model holds) as
/// prunable. The source generator then emits the model's mask registration, typed access to this layer's mask
/// and sparsity, and the ticket's save and load.
/// </summary>
/// <example><code>
/// [Prunable] private readonly Linear fc1;
/// [Prunable(0.1)] private readonly Linear fc3;   // the output layer at half the rate
/// </code></example>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class PrunableAttribute : Attribute
{
    /// <summary>Prunes the layer at the schedule's rate.</summary>
    public PrunableAttribute()
    {
    }

    /// <summary>Prunes the layer at its own rate.</summary>
    /// <param name="rate">Fraction of this layer's remaining weights removed at each pruning event, in (0, 1).</param>
    public PrunableAttribute(double rate) => Rate = rate;

    /// <summary>This layer's own rate in (0, 1); when not given, the schedule's rate applies.</summary>
    public double Rate { get; set; } = double.NaN;

    /// <summary>This layer's own criterion; when not given, the schedule's criterion applies.</summary>
    public CriterionKind Criterion { get; set; }

    /// <summary>
    /// Also prune the layer's bias (off by default, as in the paper). The layer must have one: on a layer created
    /// with <c>hasBias: false</c> (or <c>bias: false</c>), <c>AttachMasks()</c> throws an ArgumentException naming it.
    /// </summary>
    public bool PruneBias { get; set; }

    /// <summary>
    /// What a pruning event removes in this layer: single weights (the default), whole neurons of a Linear
    /// (<see cref="Structure.Neurons"/>) or whole channels of a Conv (<see cref="Structure.Channels"/>). A structured
    /// layer's bias is pruned with its units. Checked at compile time against the layer's type.
    /// </summary>
    public Structure Structure { get; set; }

    /// <summary>
    /// For a MultiheadAttention, TransformerEncoderLayer or TransformerDecoderLayer: the heads it was created with
    /// (TorchSharp does not expose them). A schedule with <c>Groups = true</c> then prunes the layer by whole heads (and a
    /// Transformer layer's feed-forward by whole neurons); without it the layer's weights go one by one. LTH0012 on
    /// any other layer.
    /// </summary>
    public int Heads { get; set; }
}
