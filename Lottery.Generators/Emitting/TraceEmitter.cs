using Lottery.Generators.Models;
using Lottery.Generators.Parsing;

namespace Lottery.Generators.Emitting;

/// <summary>Writes a model's <c>ITraceable.Trace</c>: its <c>forward</c> over traced values, for graph export (ONNX, PyTorch).</summary>
internal static class TraceEmitter
{
    private const string Interface = "global::Lottery.Export.Graphs.ITraceable";

    public static string Emit(ModelInfo model, TraceInfo trace) => Emit(model.Hierarchy, trace, model.Chain);

    public static string Emit(TypeHierarchy hierarchy, TraceInfo trace, ChainInfo? declaredChain)
    {
        var name = hierarchy.Type.Name;
        return SourceFile.Write(
            hierarchy,
            $"{name}'s forward over traced values, for graph export (ONNX, PyTorch).",
            $" : {Interface}",
            writer =>
            {
                writer.Line("/// <summary>This model's forward, written again over traced values so that graph export can read it.</summary>");
                writer.Line(SourceFile.GeneratedCodeAttribute);
                writer.Line($"{ForwardTraceParser.Traced} {Interface}.Trace({ForwardTraceParser.Traced} {trace.Parameter})");
                if (declaredChain is { EmitForward: true } chain)
                {
                    writer.Line("{");
                    writer.Line($"    var x = {ForwardTraceParser.Capture}.Call(this.{chain.Members[0]}, {trace.Parameter});");
                    foreach (var member in chain.Members.Skip(1))
                    {
                        writer.Line($"    x = {ForwardTraceParser.Capture}.Call(this.{member}, x);");
                    }

                    writer.Line("    return x;");
                    writer.Line("}");
                }
                else if (trace.Body is { } body)
                {
                    writer.Verbatim(body);
                }
                else
                {
                    writer.Line("{");
                    writer.Line($"    throw new global::Lottery.Export.Graphs.GraphCaptureException({Literal(trace.Failure ?? "This forward cannot be traced.")});");
                    writer.Line("}");
                }
            },
            trace.Usings,
            trace.NamespaceUsings);
    }

    private static string Literal(string text) =>
        "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\r", " ").Replace("\n", " ") + "\"";
}
