namespace Lottery.Generators.Models;

/// <summary>
/// A model's <c>forward</c> written again over Lottery's traced values, for graph export (ONNX, PyTorch): the using
/// directives of its file, its parameter's name and the rewritten body, or, when it uses something graph export cannot
/// follow, why (with the file and line), which the generated method throws.
/// </summary>
/// <param name="Usings">The using directives of <c>forward</c>'s file (not those inside a namespace), as source lines.</param>
/// <param name="Parameter">The name of <c>forward</c>'s parameter.</param>
/// <param name="Body">The rewritten body (a block, or an expression body with its arrow), or null on failure.</param>
/// <param name="Failure">Why the forward cannot be traced, or null.</param>
internal sealed record TraceInfo(string Usings, string Parameter, string? Body, string? Failure)
{
    /// <summary>The using directives inside the namespace declarations around <c>forward</c>, written inside the generated namespace.</summary>
    public string NamespaceUsings { get; init; } = string.Empty;
}

/// <summary>A module class Lottery generates nothing else for, with its traced forward.</summary>
/// <param name="Hierarchy">Where the class is declared.</param>
/// <param name="Trace">Its traced forward.</param>
internal sealed record TraceOnlyInfo(TypeHierarchy Hierarchy, TraceInfo Trace);
