namespace Lottery.Generators.Models;

/// <summary>
/// A model's <c>forward</c> written again over Lottery's traced values, for graph export (ONNX, PyTorch): the using
/// directives of its file, its parameter's name and the rewritten body, or, when it uses something graph export cannot
/// follow, why (with the file and line), which the generated method throws.
/// </summary>
/// <param name="Usings">The using directives in scope where <c>forward</c> is declared, as source lines.</param>
/// <param name="Parameter">The name of <c>forward</c>'s parameter.</param>
/// <param name="Body">The rewritten body (a block, or an expression body with its arrow), or null on failure.</param>
/// <param name="Failure">Why the forward cannot be traced, or null.</param>
internal sealed record TraceInfo(string Usings, string Parameter, string? Body, string? Failure);
