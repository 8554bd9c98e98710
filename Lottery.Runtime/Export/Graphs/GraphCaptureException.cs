namespace Lottery.Export.Graphs;

/// <summary>A model's graph cannot be captured or written: the message names the module, or the file and line of its <c>forward</c>, and what to do.</summary>
public sealed class GraphCaptureException : NotSupportedException
{
    /// <summary>Creates the exception.</summary>
    public GraphCaptureException(string message)
        : base(message)
    {
    }
}
