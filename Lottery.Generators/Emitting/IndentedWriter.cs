using System.Text;

namespace Lottery.Generators.Emitting;

/// <summary>Writes C# line by line with four-space indentation; blocks open and close with <see cref="Block"/>.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder text = new();
    private int depth;

    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            text.Append(' ', depth * 4).Append(line);
        }

        text.Append('\n');
        return this;
    }

    /// <summary>Writes several lines (a raw string literal), each at the current indentation.</summary>
    public IndentedWriter Lines(string lines)
    {
        foreach (var line in lines.Replace("\r\n", "\n").Split('\n'))
        {
            Line(line);
        }

        return this;
    }

    /// <summary>Writes <paramref name="code"/> as it is, without indenting it (code copied from the user's file, whose string literals must not change).</summary>
    public IndentedWriter Verbatim(string code)
    {
        text.Append(code.Replace("\r\n", "\n")).Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; disposing the result writes the closing brace.</summary>
    public Scope Block(string header, string closing = "}")
    {
        Line(header);
        Line("{");
        depth++;
        return new Scope(this, closing);
    }

    public override string ToString() => text.ToString();

    internal readonly struct Scope(IndentedWriter writer, string closing) : IDisposable
    {
        public void Dispose()
        {
            writer.depth--;
            writer.Line(closing);
        }
    }
}
