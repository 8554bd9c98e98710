namespace Lottery.Data;

/// <summary>A data file is missing, truncated or corrupt; the message names the file and the problem.</summary>
public sealed class DataSetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DataSetException(string file, string problem, Exception? inner = null)
        : base($"{file}: {problem}", inner)
    {
        File = file;
        Problem = problem;
    }

    /// <summary>The file (or folder, or resource) concerned.</summary>
    public string File { get; }

    /// <summary>What is wrong with it and what to do.</summary>
    public string Problem { get; }
}
