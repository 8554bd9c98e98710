namespace Lottery;

/// <summary>
/// Declares the model's layers as a chain: the members (fields or properties holding TorchSharp modules) that its
/// forward pass applies one after the other, in order. The source generator checks the chain at compile time and
/// emits <c>ToSequential()</c> and <c>Compact()</c> (a physically smaller model without dead units), and, when the
/// class writes no <c>forward</c> of its own, a <c>forward</c> that runs the chain.
/// </summary>
/// <example><code>
/// [Chain(nameof(flatten), nameof(fc1), nameof(relu1), nameof(fc2), nameof(relu2), nameof(fc3), InputShape = new[] { 784 })]
/// public sealed partial class Mlp : nn.Module&lt;Tensor, Tensor&gt; { ... }
/// </code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ChainAttribute : Attribute
{
    /// <summary>Declares the chain.</summary>
    /// <param name="members">The members holding the modules, in the order the forward pass applies them.</param>
    public ChainAttribute(params string[] members) => Members = members;

    /// <summary>The members holding the modules, in order.</summary>
    public string[] Members { get; }

    /// <summary>One sample's shape, without the batch dimension (for example <c>{ 784 }</c> or <c>{ 1, 28, 28 }</c>).</summary>
    public int[] InputShape { get; set; } = [];
}
