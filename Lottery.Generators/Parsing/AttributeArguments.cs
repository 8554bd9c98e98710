using System.Threading;
using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lottery.Generators.Parsing;

/// <summary>
/// Reads one attribute's arguments by name and finds the source span of each, so that a diagnostic can
/// underline the exact argument that is wrong. Arguments with compile errors read as absent: the compiler
/// reports those itself.
/// </summary>
internal sealed class AttributeArguments
{
    private readonly AttributeData data;
    private readonly AttributeSyntax? syntax;

    public AttributeArguments(AttributeData data, CancellationToken cancellationToken)
    {
        this.data = data;
        syntax = data.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
    }

    /// <summary>Where the attribute is applied (its name), for diagnostics about the attribute as a whole.</summary>
    public LocationInfo? Location => LocationInfo.From(syntax?.Name.GetLocation());

    /// <summary>The constructor argument at <paramref name="index"/>, when present and well formed.</summary>
    public TypedConstant? Constructor(int index) =>
        index < data.ConstructorArguments.Length && data.ConstructorArguments[index].Kind != TypedConstantKind.Error
            ? data.ConstructorArguments[index]
            : null;

    /// <summary>The named argument <paramref name="name"/>, when present and well formed.</summary>
    public TypedConstant? Named(string name)
    {
        foreach (var pair in data.NamedArguments)
        {
            if (pair.Key == name)
            {
                return pair.Value.Kind == TypedConstantKind.Error ? null : pair.Value;
            }
        }

        return null;
    }

    public bool Has(string name) => Named(name) is not null;

    public double? Double(string name) => Named(name) is { Value: double value } ? value : null;

    public int? Int(string name) => Named(name) is { Value: int value } ? value : null;

    public bool? Bool(string name) => Named(name) is { Value: bool value } ? value : null;

    /// <summary>
    /// The named enum argument <paramref name="name"/> as the name of its value (enums are read by value, see
    /// <see cref="KnownNames"/>); an undefined value is reported (LTH0022) and reads as absent.
    /// </summary>
    public string? Enum(string name, string[] values, string enumName, DiagnosticList diagnostics)
    {
        if (Named(name) is not { Value: int value })
        {
            return null;
        }

        if (value >= 0 && value < values.Length)
        {
            return values[value];
        }

        diagnostics.Add(DiagnosticDescriptors.UndefinedEnumValue, LocationOf(name), name, value, enumName);
        return null;
    }

    /// <summary>The location of the named argument <paramref name="name"/>, or of the attribute when it is not written out.</summary>
    public LocationInfo? LocationOf(string name)
    {
        if (syntax?.ArgumentList is { } list)
        {
            foreach (var argument in list.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == name)
                {
                    return LocationInfo.From(argument.GetLocation());
                }
            }
        }

        return Location;
    }

    /// <summary>The location of the constructor argument at <paramref name="index"/>, or of the attribute.</summary>
    public LocationInfo? LocationOfConstructor(int index)
    {
        if (syntax?.ArgumentList is { } list)
        {
            var positional = list.Arguments.Where(a => a.NameEquals is null).ToList();
            if (index < positional.Count)
            {
                return LocationInfo.From(positional[index].GetLocation());
            }
        }

        return Location;
    }
}
