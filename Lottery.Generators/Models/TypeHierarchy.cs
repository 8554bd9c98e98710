namespace Lottery.Generators.Models;

/// <summary>A type declaration as the generated partial part repeats it: keyword and name with type parameters.</summary>
/// <param name="Keyword">class, record, struct, record struct or interface.</param>
/// <param name="Name">The name with its type parameters, for example <c>Outer&lt;T&gt;</c>.</param>
internal sealed record TypeDeclaration(string Keyword, string Name);

/// <summary>Where a type lives, as strings: its namespace and the chain of types around it, outermost first.</summary>
/// <param name="Namespace">The namespace, empty for the global namespace.</param>
/// <param name="ContainingTypes">The types the type is nested in, outermost first.</param>
/// <param name="Type">The type itself.</param>
/// <param name="FullName">The fully qualified name with <c>global::</c>, as code refers to it.</param>
/// <param name="HintName">A file name unique to the type, for the generated source.</param>
internal sealed record TypeHierarchy(string Namespace, EquatableArray<TypeDeclaration> ContainingTypes, TypeDeclaration Type, string FullName, string HintName);
