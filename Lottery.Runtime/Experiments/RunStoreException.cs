namespace Lottery.Experiments;

/// <summary>A results folder could not be written (full, read-only, gone); the message names the folder and says that nothing finished is lost.</summary>
public sealed class RunStoreException(string folder, Exception inner)
    : IOException($"Cannot write to '{folder}' ({inner.Message.TrimEnd('.')}). Nothing finished is lost: finished runs are kept, and an unfinished run resumes from its last whole checkpoint. Free space or make the folder writable, then run the same command again.", inner)
{
    /// <summary>The folder that could not be written.</summary>
    public string Folder { get; } = folder;
}
