namespace Lottery.Generators.Models;

/// <summary>What the parser made of one declaration: a model to emit (null when errors prevent it) and the diagnostics.</summary>
internal sealed record ParseResult<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics)
    where T : class;
