namespace Lottery.Generators.Models;

/// <summary>A diagnostic to report, as plain values: the descriptor's id, where, and the message's arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments);
