namespace Lottery.Compaction;

/// <summary>A compacted model's outputs differ from its source's by more than the tolerance, or it predicts other classes.</summary>
public sealed class CompactionMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CompactionMismatchException(string message, double largestDifference)
        : base(message)
    {
        LargestDifference = largestDifference;
    }

    /// <summary>The largest absolute difference between the two models' outputs (NaN when an output was NaN).</summary>
    public double LargestDifference { get; }
}
