using System.Threading;
using Lottery.Generators.Diagnostics;
using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lottery.Generators.Parsing;

/// <summary>What the parsers ask of a type symbol: where it is, whether it can take a partial part, what it derives from.</summary>
internal static class SymbolQueries
{
    public static TypeHierarchy Hierarchy(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var containing = new List<TypeDeclaration>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, Declaration(outer, cancellationToken));
        }

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        var hintParts = new List<string>();
        if (ns.Length > 0)
        {
            hintParts.Add(ns);
        }

        for (var outer = type; outer is not null; outer = outer.ContainingType)
        {
            hintParts.Insert(ns.Length > 0 ? 1 : 0, outer.MetadataName.Replace('`', '_'));
        }

        return new TypeHierarchy(
            ns,
            containing.ToEquatableArray(),
            Declaration(type, cancellationToken),
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            string.Join(".", hintParts));
    }

    /// <summary>Reports LTH0001 when the type, or a type it is nested in, is not partial in every declaration.</summary>
    public static void CheckPartial(INamedTypeSymbol type, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            foreach (var reference in current.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    diagnostics.Add(DiagnosticDescriptors.NotPartial, LocationInfo.From(declaration.Identifier.GetLocation()), current.Name);
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Reports LTH0018 for each of <paramref name="generated"/> the type already declares, and returns the names
    /// the type declares, for further checks.
    /// </summary>
    public static HashSet<string> CheckTakenNames(INamedTypeSymbol type, IEnumerable<string> generated, string what, DiagnosticList diagnostics)
    {
        var declared = new HashSet<string>(type.GetMembers().Where(m => !m.IsImplicitlyDeclared).Select(m => m.Name), StringComparer.Ordinal);
        foreach (var name in generated.Where(declared.Contains))
        {
            diagnostics.Add(DiagnosticDescriptors.NameClash, LocationInfo.From(type.Locations.FirstOrDefault()), type.Name, name, what);
        }

        return declared;
    }

    public static bool DerivesFrom(ITypeSymbol type, string fullName)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == fullName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="type"/> holds modules that may declare [Prunable] layers of their own: an instance field or
    /// property of a module class of the user's (a block), or of a container (Sequential, ModuleList, ModuleDict), whose
    /// contents only the run can see.
    /// </summary>
    public static bool HoldsSubmodules(INamedTypeSymbol type) =>
        type.GetMembers().Where(m => !m.IsStatic).Select(m => m switch { IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, _ => null })
            .Any(t => t is INamedTypeSymbol named && DerivesFrom(named, KnownNames.Module) && LayerType(named) is null
                && (!named.ContainingNamespace.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal) || KnownNames.Containers.Contains(named.OriginalDefinition.ToDisplayString())));

    /// <summary>The prunable layer type <paramref name="type"/> is or derives from (Linear, Conv1d, Conv2d, Conv3d), or null.</summary>
    public static string? LayerType(ITypeSymbol type)
    {
        // Conv2d? is a Conv2d that may be absent: the annotation is not part of the layer's type.
        for (var current = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (KnownNames.Layers.TryGetValue(current.ToDisplayString(), out var name))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// The argument (<c>hasBias: false</c> or <c>bias: false</c>) with which the type's own code creates
    /// <paramref name="member"/>'s layer without a bias, in its initializer or in an assignment in a constructor; null
    /// when none is seen. Syntax only, so it recognises just the literal, named form: a layer built elsewhere, or from
    /// a variable, is left to the run-time check in MaskSet.Attach.
    /// </summary>
    public static string? CreatedWithoutBias(ISymbol member, CancellationToken cancellationToken)
    {
        var created = new List<ExpressionSyntax>();
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax(cancellationToken))
            {
                case VariableDeclaratorSyntax { Initializer.Value: { } value }:
                    created.Add(value);
                    break;
                case PropertyDeclarationSyntax { Initializer.Value: { } value }:
                    created.Add(value);
                    break;
            }
        }

        foreach (var constructor in member.ContainingType.InstanceConstructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is not ConstructorDeclarationSyntax declaration)
                {
                    continue;
                }

                created.AddRange(declaration.DescendantNodes()
                    .OfType<AssignmentExpressionSyntax>()
                    .Where(a => a.IsKind(SyntaxKind.SimpleAssignmentExpression) && AssignedName(a.Left) == member.Name)
                    .Select(a => a.Right));
            }
        }

        foreach (var value in created)
        {
            if (value is InvocationExpressionSyntax { ArgumentList: var arguments } invocation
                && InvokedName(invocation.Expression) is "Linear" or "Conv1d" or "Conv2d" or "Conv3d")
            {
                var noBias = arguments.Arguments.FirstOrDefault(a =>
                    a.NameColon?.Name.Identifier.ValueText is "hasBias" or "bias" && a.Expression.IsKind(SyntaxKind.FalseLiteralExpression));
                if (noBias is not null)
                {
                    return noBias.ToString();
                }
            }
        }

        return null;

        static string? AssignedName(ExpressionSyntax left) => left switch
        {
            IdentifierNameSyntax name => name.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
            _ => null,
        };

        static string? InvokedName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax name => name.Identifier.ValueText,
            MemberAccessExpressionSyntax { Name: var name } => name.Identifier.ValueText,
            _ => null,
        };
    }

    /// <summary>Why an experiment cannot create the model with <c>new T()</c>, or null when it can.</summary>
    public static string? WhyCannotCreate(INamedTypeSymbol model)
    {
        if (model.IsUnboundGenericType)
        {
            return "an open generic type cannot be created; name a constructed type such as Model<float>";
        }

        if (model.IsAbstract || model.TypeKind != TypeKind.Class)
        {
            return "it is abstract or not a class";
        }

        if (!DerivesFrom(model, KnownNames.TensorModule))
        {
            return "it must derive from nn.Module<Tensor, Tensor>, taking and returning a Tensor";
        }

        var callable = model.InstanceConstructors.Any(c =>
            c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal
            && c.Parameters.All(p => p.IsOptional || p.IsParams));
        return callable ? null : "it has no public or internal constructor that takes no arguments (optional ones are fine)";
    }

    private static TypeDeclaration Declaration(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var keyword = type.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) switch
        {
            RecordDeclarationSyntax record when record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
            RecordDeclarationSyntax => "record",
            StructDeclarationSyntax => "struct",
            InterfaceDeclarationSyntax => "interface",
            _ => "class",
        };
        var name = type.TypeParameters.Length == 0 ? type.Name : $"{type.Name}<{string.Join(", ", type.TypeParameters.Select(p => p.Name))}>";
        return new TypeDeclaration(keyword, name);
    }
}
