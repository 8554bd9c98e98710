using Lottery.Generators.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lottery.Generators.Parsing;

/// <summary>
/// Writes a model's <c>forward(Tensor)</c> again over <c>Lottery.Export.Graphs.Traced</c>, for graph export: module calls
/// become <c>GraphCapture.Call</c>, functions of <c>torch</c> and <c>torch.nn.functional</c> become <c>TracedOps</c>'
/// functions of the same name, tensor methods and operators stay (Traced has them), tensors the model holds become
/// <c>GraphCapture.Constant</c>, and the type <c>Tensor</c> becomes <c>Traced</c>. Everything else runs as written.
/// Anything involving tensors that this cannot follow (a function TracedOps lacks, indexing, a lambda over tensors, a
/// helper method taking tensors) makes the trace a failure naming the line, so the generated code always compiles and
/// never computes something other than <c>forward</c>.
/// </summary>
internal static class ForwardTraceParser
{
    public const string TracedName = "Lottery.Export.Graphs.Traced";
    public const string Traced = "global::" + TracedName;
    public const string Ops = "global::Lottery.Export.Graphs.TracedOps";
    public const string Capture = "global::Lottery.Export.Graphs.GraphCapture";

    /// <summary>
    /// Called for each partial class declaration with a base list: a module class Lottery generates no other code for
    /// (no [Prunable] member, no [PruneSchedule]: a block whose layers sit in containers, a model pruned through
    /// <c>MaskSet.Attach</c>) still gets its traced forward, when it declares one and every part and containing type is
    /// partial. Parsed once, for the class's first part.
    /// </summary>
    public static TraceOnlyInfo? ParseTraceOnly(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is not INamedTypeSymbol type
            || type.TypeKind != TypeKind.Class
            || type.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) != context.Node
            || !SymbolQueries.DerivesFrom(type, KnownNames.Module)
            || type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.PruneScheduleAttribute)
            || type.GetMembers().Any(ModelParser.IsPrunable))
        {
            return null;
        }

        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                return null;
            }
        }

        var tensor = context.SemanticModel.Compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
        if (!type.GetMembers("forward").OfType<IMethodSymbol>().Any(m => !m.IsStatic && !m.IsAbstract && m.Parameters.Length == 1
            && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type, tensor) && SymbolEqualityComparer.Default.Equals(m.ReturnType, tensor)))
        {
            return null;
        }

        var trace = Parse(type, context.SemanticModel.Compilation, forwardGenerated: false, cancellationToken);
        return trace is null ? null : new TraceOnlyInfo(SymbolQueries.Hierarchy(type, cancellationToken), trace);
    }

    /// <summary>The model's trace, or null when the compilation has no graph export (an older Lottery.Runtime).</summary>
    public static TraceInfo? Parse(INamedTypeSymbol type, Compilation? compilation, bool forwardGenerated, CancellationToken cancellationToken)
    {
        if (compilation is null)
        {
            return null;
        }

        var traced = compilation.GetTypeByMetadataName(TracedName);
        var ops = compilation.GetTypeByMetadataName("Lottery.Export.Graphs.TracedOps");
        var tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
        if (traced is null || ops is null || tensor is null)
        {
            return null;
        }

        if (forwardGenerated)
        {
            return new TraceInfo(string.Empty, "input", null, null);
        }

        var forward = type.GetMembers("forward").OfType<IMethodSymbol>().FirstOrDefault(m =>
            !m.IsStatic && m.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type, tensor)
            && SymbolEqualityComparer.Default.Equals(m.ReturnType, tensor));
        if (forward?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not MethodDeclarationSyntax syntax
            || (syntax.Body is null && syntax.ExpressionBody is null))
        {
            return new TraceInfo(string.Empty, "input", null, $"{type.Name} declares no forward(Tensor) returning a Tensor in its own code; graph export reads that method.");
        }

        var unitUsings = Usings(syntax.SyntaxTree.GetCompilationUnitRoot(cancellationToken).Usings);
        var namespaceUsings = Usings(syntax.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Reverse().SelectMany(n => n.Usings));
        var parameter = syntax.ParameterList.Parameters[0].Identifier.ValueText;
        var bodyStart = (syntax.Body as SyntaxNode ?? syntax.ExpressionBody!).GetLocation().GetLineSpan();
        string Where(int line) => $"{type.Name}.forward ({System.IO.Path.GetFileName(bodyStart.Path)}, line {line + 1})";
        TraceInfo Failed(string why) => new(unitUsings, parameter, null, why) { NamespaceUsings = namespaceUsings };
        try
        {
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
            var rewriter = new Rewriter(model, type, tensor, traced, ops, cancellationToken);
            var body = syntax.Body is { } block ? rewriter.Visit(block) : rewriter.Visit(syntax.ExpressionBody!);
            if (rewriter.Failure is { } failure)
            {
                return Failed($"{Where(failure.Node.GetLocation().GetLineSpan().StartLinePosition.Line)}: {failure.Why}. {Follows}");
            }

            var text = body!.ToFullString().Trim();
            var trace = new TraceInfo(unitUsings, parameter, syntax.Body is null ? text + ";" : text, null) { NamespaceUsings = namespaceUsings };

            // The traced copy is compiled once here, against the user's code: one that would not compile (an overload
            // Traced lacks, say) becomes a trace that throws, so the user's project always builds.
            var hierarchy = SymbolQueries.Hierarchy(type, cancellationToken);
            var generated = Emitting.TraceEmitter.Emit(hierarchy, trace, null);
            var tree = CSharpSyntaxTree.ParseText(generated, (CSharpParseOptions)syntax.SyntaxTree.Options, cancellationToken: cancellationToken);
            // Errors anywhere, and warnings in the traced method itself: a warning the copied usings raise (a lower-case
            // alias, say) is the user's file's own and stays there.
            var method = tree.GetRoot(cancellationToken).DescendantNodes().OfType<MethodDeclarationSyntax>().First().Span;
            var problem = compilation.AddSyntaxTrees(tree).GetSemanticModel(tree).GetDiagnostics(cancellationToken: cancellationToken)
                .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && method.Contains(d.Location.SourceSpan)))
                .OrderBy(d => d.Location.SourceSpan.Start).FirstOrDefault();
            if (problem is not null)
            {
                var generatedBodyLine = tree.GetText(cancellationToken).Lines.First(l => l.ToString().Contains(".ITraceable.Trace(")).LineNumber + 1;
                var line = bodyStart.StartLinePosition.Line + Math.Max(0, problem.Location.GetLineSpan().StartLinePosition.Line - generatedBodyLine);
                var said = problem.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Replace(Traced.Substring("global::".Length), "Tensor").Replace("'Traced'", "'Tensor'");
                return Failed($"{Where(line)}: graph export has no form of this line for traced tensors (traced, it reads: {problem.Id} {said}). {Follows}");
            }

            return trace;
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return Failed($"{Where(bodyStart.StartLinePosition.Line)}: Lottery's generator could not read this forward ({error.GetType().Name}); please report it. {Follows}");
        }
    }

    private const string Follows = "Graph export follows module calls, the functions of TracedOps, tensor methods and operators Traced has, and ordinary C# around them; write the rest as modules or with those.";

    /// <summary>The using directives as source lines, each once, leaving out global ones (they apply everywhere already).</summary>
    private static string Usings(IEnumerable<UsingDirectiveSyntax> usings) =>
        string.Join("\n", usings.Where(u => u.GlobalKeyword.IsKind(SyntaxKind.None)).Select(u => u.WithoutTrivia().ToString()).Distinct(StringComparer.Ordinal));

    private sealed record FailureInfo(SyntaxNode Node, string Why);

    private sealed class Rewriter(SemanticModel model, INamedTypeSymbol owner, INamedTypeSymbol tensor, INamedTypeSymbol traced, INamedTypeSymbol ops, CancellationToken cancellationToken)
        : CSharpSyntaxRewriter
    {
        public FailureInfo? Failure { get; private set; }

        public override SyntaxNode? Visit(SyntaxNode? node)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (node is ExpressionSyntax expression && Failure is null && IsTensor(model.GetTypeInfo(expression, cancellationToken).Type) && !Allowed(expression))
            {
                Fail(node, $"'{Short(node)}' is a tensor expression of a kind graph export does not follow");
            }

            return base.Visit(node);
        }

        public override SyntaxNode? VisitInvocationExpression(InvocationExpressionSyntax node)
        {
            var method = model.GetSymbolInfo(node, cancellationToken).Symbol as IMethodSymbol;
            var tensorArguments = node.ArgumentList.Arguments.Any(a => InvolvesTensor(model.GetTypeInfo(a.Expression, cancellationToken).Type));
            if (method is null)
            {
                if (tensorArguments)
                {
                    Fail(node, $"the call '{Short(node)}' is not resolved to one method");
                }

                return base.VisitInvocationExpression(node);
            }

            var receiver = node.Expression is MemberAccessExpressionSyntax access ? access.Expression : null;
            var receiverType = receiver is null ? null : model.GetTypeInfo(receiver, cancellationToken).Type;
            var tensorMethod = (!method.IsStatic && IsTensor(method.ContainingType)) || (method.IsExtensionMethod && method.ReducedFrom is not null && IsTensor(receiverType));
            var involvesTensor = tensorArguments || InvolvesTensor(method.ReturnType) || tensorMethod;
            if (!method.IsStatic && (method.Name is "call" or "forward") && receiverType is not null && SymbolQueries.DerivesFrom(receiverType, KnownNames.Module))
            {
                if (receiver is ThisExpressionSyntax or BaseExpressionSyntax)
                {
                    return Fail(node, $"'{Short(node)}' calls the model's own forward");
                }

                if (node.ArgumentList.Arguments.Count != 1 || !IsTensor(model.GetTypeInfo(node.ArgumentList.Arguments[0].Expression, cancellationToken).Type) || !IsTensor(method.ReturnType))
                {
                    return Fail(node, $"'{Short(node)}' calls a module with other than one tensor, or one that does not return a tensor");
                }

                var module = (ExpressionSyntax)Visit(receiver!)!;
                var argument = (ExpressionSyntax)Visit(node.ArgumentList.Arguments[0].Expression)!;
                return SyntaxFactory.ParseExpression($"{Capture}.Call({module.ToFullString().Trim()}, {argument.ToFullString().Trim()})");
            }

            if (receiver is null && SymbolEqualityComparer.Default.Equals(method.ContainingType, owner) && involvesTensor)
            {
                return Fail(node, $"'{Short(node)}' calls the model's own method '{method.Name}' with tensors");
            }

            if (tensorMethod)
            {
                return traced.GetMembers(method.Name).Any()
                    ? base.VisitInvocationExpression(node)
                    : Fail(node, $"graph export does not write the tensor method '{method.Name}'");
            }

            if (method.IsStatic && involvesTensor && method.ContainingNamespace?.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal) == true)
            {
                if (!ops.GetMembers(method.Name).Any())
                {
                    return Fail(node, $"graph export does not write the function '{method.ContainingType.Name}.{method.Name}'");
                }

                var arguments = (ArgumentListSyntax)VisitArgumentList(node.ArgumentList)!;
                return SyntaxFactory.InvocationExpression(SyntaxFactory.ParseExpression($"{Ops}.{method.Name}"), arguments).WithTriviaFrom(node);
            }

            // A null guard on the input: a traced value is an object like any other, and never null.
            if (method.IsStatic && method.ReturnsVoid && method.Name == "ThrowIfNull" && method.ContainingType.ToDisplayString() == "System.ArgumentNullException")
            {
                return base.VisitInvocationExpression(node);
            }

            if (involvesTensor)
            {
                return Fail(node, $"'{Short(node)}' passes tensors to '{method.Name}', which graph export does not follow");
            }

            return base.VisitInvocationExpression(node);
        }

        public override SyntaxNode? VisitBinaryExpression(BinaryExpressionSyntax node)
        {
            if (model.GetSymbolInfo(node, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } op && IsTensor(op.ContainingType)
                && !traced.GetMembers(op.Name).Any())
            {
                return Fail(node, $"graph export does not write the operator '{node.OperatorToken.ValueText}' between tensors");
            }

            return base.VisitBinaryExpression(node);
        }

        public override SyntaxNode? VisitIdentifierName(IdentifierNameSyntax node)
        {
            if (node.IsVar || node.Parent is NameColonSyntax or NameEqualsSyntax)
            {
                return node; // Inferred again from the rewritten initialiser; or a name, not a value.
            }

            var symbol = model.GetSymbolInfo(node, cancellationToken).Symbol;
            if (symbol is ITypeSymbol type && IsTensor(type))
            {
                return SymbolEqualityComparer.Default.Equals(type, tensor)
                    ? SyntaxFactory.ParseTypeName(Traced).WithTriviaFrom(node)
                    : Fail(node, $"a variable of type {type.Name} (graph export follows variables of type Tensor)");
            }

            if (symbol is IFieldSymbol or IPropertySymbol && IsTensor(TypeOf(symbol)) && !IsTensor(symbol.ContainingType) && !symbol.ContainingType.IsTupleType
                && !(node.Parent is MemberAccessExpressionSyntax access && access.Name == node))
            {
                return HeldTensor(node);
            }

            return base.VisitIdentifierName(node);
        }

        public override SyntaxNode? VisitQualifiedName(QualifiedNameSyntax node) =>
            model.GetSymbolInfo(node, cancellationToken).Symbol is ITypeSymbol type && SymbolEqualityComparer.Default.Equals(type, tensor)
                ? SyntaxFactory.ParseTypeName(Traced).WithTriviaFrom(node)
                : base.VisitQualifiedName(node);

        public override SyntaxNode? VisitMemberAccessExpression(MemberAccessExpressionSyntax node)
        {
            var symbol = model.GetSymbolInfo(node, cancellationToken).Symbol;
            if (symbol is ITypeSymbol type && SymbolEqualityComparer.Default.Equals(type, tensor))
            {
                return SyntaxFactory.ParseTypeName(Traced).WithTriviaFrom(node);
            }

            if (symbol is IFieldSymbol or IPropertySymbol && IsTensor(TypeOf(symbol)) && !symbol.ContainingType.IsTupleType)
            {
                return IsTensor(symbol.ContainingType)
                    ? traced.GetMembers(symbol.Name).Any() ? base.VisitMemberAccessExpression(node) : Fail(node, $"graph export does not write the tensor property '{symbol.Name}'")
                    : HeldTensor(node);
            }

            return base.VisitMemberAccessExpression(node);
        }

        public override SyntaxNode? VisitElementAccessExpression(ElementAccessExpressionSyntax node) =>
            IsTensor(model.GetTypeInfo(node.Expression, cancellationToken).Type) ? Fail(node, "graph export does not write indexing into a tensor") : base.VisitElementAccessExpression(node);

        public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node) => Lambda(node) ?? base.VisitParenthesizedLambdaExpression(node);

        public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node) => Lambda(node) ?? base.VisitSimpleLambdaExpression(node);

        public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node) => Lambda(node) ?? base.VisitLocalFunctionStatement(node);

        public override SyntaxNode? VisitAssignmentExpression(AssignmentExpressionSyntax node)
        {
            var target = model.GetSymbolInfo(node.Left, cancellationToken).Symbol;
            if (IsTensor(model.GetTypeInfo(node.Left, cancellationToken).Type) && target is not ILocalSymbol and not IParameterSymbol)
            {
                return Fail(node, "forward stores a tensor outside its own variables");
            }

            if (node.Kind() != SyntaxKind.SimpleAssignmentExpression && IsTensor(model.GetTypeInfo(node.Left, cancellationToken).Type))
            {
                return Fail(node, $"graph export does not write the compound assignment '{node.OperatorToken.ValueText}' on tensors; write 'x = x + y'");
            }

            return base.VisitAssignmentExpression(node);
        }

        private SyntaxNode? Lambda(SyntaxNode node) =>
            node.DescendantNodes().OfType<ExpressionSyntax>().Any(e => InvolvesTensor(model.GetTypeInfo(e, cancellationToken).Type))
                ? Fail(node, "a lambda or local function over tensors")
                : null;

        private SyntaxNode HeldTensor(ExpressionSyntax node) =>
            SyntaxFactory.ParseExpression($"{Capture}.Constant({node.WithoutTrivia().ToFullString()})").WithTriviaFrom(node);

        /// <summary>The kinds of tensor-typed expressions the rewrite handles (the visitors check the rest).</summary>
        private static bool Allowed(ExpressionSyntax expression) => expression is IdentifierNameSyntax or InvocationExpressionSyntax or BinaryExpressionSyntax
            or ParenthesizedExpressionSyntax or ConditionalExpressionSyntax or MemberAccessExpressionSyntax or AssignmentExpressionSyntax
            or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } or QualifiedNameSyntax or ElementAccessExpressionSyntax
            or NullableTypeSyntax or SwitchExpressionSyntax or AliasQualifiedNameSyntax;

        private SyntaxNode Fail(SyntaxNode node, string why)
        {
            Failure ??= new FailureInfo(node, why);
            return node;
        }

        private static ITypeSymbol? TypeOf(ISymbol symbol) => symbol switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            _ => null,
        };

        private bool IsTensor(ITypeSymbol? type)
        {
            for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current, tensor))
                {
                    return true;
                }
            }

            return false;
        }

        private bool InvolvesTensor(ITypeSymbol? type) => type switch
        {
            null => false,
            IArrayTypeSymbol array => InvolvesTensor(array.ElementType),
            INamedTypeSymbol named => IsTensor(named) || named.TypeArguments.Any(InvolvesTensor),
            _ => false,
        };

        private static string Short(SyntaxNode node)
        {
            var text = System.Text.RegularExpressions.Regex.Replace(node.ToString(), @"\s+", " ");
            return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
        }
    }
}
