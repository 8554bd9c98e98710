using Lottery.Criteria;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// One prunable parameter (a layer's weight, or its bias when asked) with its mask.
/// </summary>
/// <remarks>
/// The mask is a 0/1 tensor of the parameter's shape and dtype, registered as a persistent buffer
/// named <c>{parameter}_mask</c> on the layer, so the model's own save and load carry it.
/// </remarks>
public sealed class PrunableWeight
{
    internal PrunableWeight(string layerName, nn.Module layer, string parameterName, Parameter parameter, Tensor mask, double? rate, IPruningCriterion? criterion, Structure structure = Structure.Unstructured, PrunableWeight? follows = null, bool coupled = false)
    {
        Structure = structure;
        IsCoupled = coupled;
        Follows = follows;
        LayerName = layerName;
        Layer = layer;
        ParameterName = parameterName;
        Parameter = parameter;
        Mask = mask;
        Rate = rate;
        Criterion = criterion;
        Count = parameter.numel();
        RefreshRemaining();
    }

    /// <summary>The layer's name in the model, as <c>named_modules()</c> gives it (for example <c>fc1</c>).</summary>
    public string LayerName { get; }

    /// <summary>The parameter's name on its layer: <c>weight</c> or <c>bias</c>.</summary>
    public string ParameterName { get; }

    /// <summary>The parameter's full name in the model's state dictionary (for example <c>fc1.weight</c>).</summary>
    public string Name => string.IsNullOrEmpty(LayerName) ? ParameterName : $"{LayerName}.{ParameterName}";

    /// <summary>The layer that owns the parameter and the mask buffer.</summary>
    public nn.Module Layer { get; }

    /// <summary>The parameter being pruned.</summary>
    public Parameter Parameter { get; }

    /// <summary>The mask: 1 where the weight survives, 0 where it was pruned.</summary>
    public Tensor Mask { get; }

    /// <summary>This layer's own rate, overriding the schedule's (the paper halves it for the output layer).</summary>
    public double? Rate { get; internal set; }

    /// <summary>This layer's own criterion, overriding the run's; null to use the run's.</summary>
    public IPruningCriterion? Criterion { get; internal set; }

    /// <summary>What a pruning event removes in this parameter: single entries, or whole units (rows of the weight's first dimension).</summary>
    public Structure Structure { get; }

    /// <summary>
    /// For the bias of a structured layer: the weight whose units it follows (its entry is pruned with its unit). Such a
    /// bias is masked but not counted in the weights remaining and never scored on its own; null otherwise.
    /// </summary>
    public PrunableWeight? Follows { get; }

    /// <summary>
    /// Whether the mask is here only because a dependency group slices the parameter (a batch norm's entries, a bias that
    /// was not declared): its entries go with their units (<see cref="MaskSet.UseGroups"/>), are never scored on their own
    /// and are not counted in the weights remaining.
    /// </summary>
    public bool IsCoupled { get; }

    /// <summary>Whether the entries count in the weights remaining: neither a bias that follows its units nor a coupled mask.</summary>
    public bool IsCounted => Follows is null && !IsCoupled;

    /// <summary>Whether a pruning event removes whole units (neurons or channels) of this parameter.</summary>
    public bool IsStructured => Structure != Structure.Unstructured && IsCounted;

    /// <summary>Number of units: output neurons or channels (the first dimension), or 1 for a bias.</summary>
    public long Units => Parameter.dim() > 1 ? Parameter.shape[0] : 1;

    /// <summary>Number of units with any entry not pruned.</summary>
    public long UnitsRemaining
    {
        get
        {
            using var scope = NewDisposeScope();
            return Mask.reshape(Units, -1).ne(0).any(1).sum().item<long>();
        }
    }

    /// <summary>Number of entries in the parameter.</summary>
    public long Count { get; private set; }

    /// <summary>Number of entries not yet pruned.</summary>
    public long Remaining { get; private set; }

    /// <summary>Fraction of this parameter's weights still remaining.</summary>
    public double WeightsRemaining => (double)Remaining / Count;

    /// <summary>Fraction of this parameter's weights pruned.</summary>
    public double Sparsity => 1.0 - WeightsRemaining;

    /// <summary>Recounts the entries and the surviving entries from the parameter and the mask (after a load, a compaction or an outside change).</summary>
    public void RefreshRemaining()
    {
        using var scope = NewDisposeScope();
        Count = Parameter.numel();
        Remaining = Mask.count_nonzero().item<long>();
    }
}
