using System.Globalization;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Parsing;

/// <summary>Collects the diagnostics of one parse.</summary>
internal sealed class DiagnosticList
{
    private readonly List<DiagnosticInfo> items = [];

    public bool HasErrors => ErrorCount > 0;

    public int ErrorCount { get; private set; }

    public void Add(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments)
    {
        if (descriptor.DefaultSeverity == DiagnosticSeverity.Error)
        {
            ErrorCount++;
        }

        items.Add(new DiagnosticInfo(descriptor.Id, location, arguments.Select(a => Convert.ToString(a, CultureInfo.InvariantCulture) ?? string.Empty).ToEquatableArray()));
    }

    public EquatableArray<DiagnosticInfo> ToEquatableArray() => items.ToEquatableArray();
}
