using System.Security.Cryptography;

namespace Lottery.Runs;

/// <summary>
/// Where a <see cref="PruningRun"/> keeps its checkpoints: the latest and the one before it, in one folder.
/// Every write goes to a temporary file that is moved into place only once complete, so a process killed at
/// any moment (during a write too) leaves at least one whole checkpoint. Each file carries a SHA-256 of its
/// contents: a damaged or truncated checkpoint is reported through <see cref="Rejected"/> and the previous
/// one is used (with none left, the run starts over); never silently.
/// </summary>
public sealed class CheckpointStore
{
    private static ReadOnlySpan<byte> Magic => "LOTTERY-CHECKPOINT-1"u8;

    /// <summary>Uses (and creates when needed) <paramref name="directory"/>.</summary>
    public CheckpointStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The folder holding the checkpoints.</summary>
    public string Directory { get; }

    /// <summary>The newest checkpoint.</summary>
    public string LatestPath => Path.Combine(Directory, "checkpoint.bin");

    /// <summary>The checkpoint before the newest, kept in case the newest is damaged.</summary>
    public string PreviousPath => Path.Combine(Directory, "checkpoint.previous.bin");

    /// <summary>Called with a message naming the file and the problem when a checkpoint cannot be used.</summary>
    public event Action<string>? Rejected;

    /// <summary>Called with the file's path when a run resumes from a checkpoint.</summary>
    public event Action<string>? Resumed;

    /// <summary>
    /// Called before every write; it throws to stop a write that must not happen (a worker that has lost its claim
    /// on the run to another worker). Null: every write goes ahead.
    /// </summary>
    public Action? BeforeWrite { get; init; }

    /// <summary>
    /// Whether a run deletes its checkpoints when it finishes (true). A run store sets it false and deletes them
    /// itself once the run's results are saved, so a process killed in between resumes at the end instead of
    /// training again.
    /// </summary>
    public bool ClearWhenFinished { get; init; } = true;

    /// <summary>Whether any checkpoint file exists.</summary>
    public bool Any => File.Exists(LatestPath) || File.Exists(PreviousPath);

    /// <summary>Writes <paramref name="payload"/> as the newest checkpoint; the newest so far becomes the previous one.</summary>
    public void Write(ReadOnlyMemory<byte> payload)
    {
        BeforeWrite?.Invoke();
        AtomicFile.Write(
            LatestPath,
            temporary =>
            {
                using var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None);
                stream.Write(Magic);
                stream.Write(BitConverter.GetBytes((long)payload.Length));
                stream.Write(SHA256.HashData(payload.Span));
                stream.Write(payload.Span);
                stream.Flush(flushToDisk: true);
            },
            beforeReplace: () =>
            {
                // Killed between this move and the next, the previous checkpoint is still whole and is used.
                if (File.Exists(LatestPath))
                {
                    File.Move(LatestPath, PreviousPath, overwrite: true);
                }
            });
    }

    /// <summary>
    /// The newest whole checkpoint (its file and contents), or null when there is none. A damaged newest
    /// checkpoint is reported and the previous one is tried.
    /// </summary>
    public (string Path, byte[] Payload)? ReadNewest()
    {
        foreach (var path in new[] { LatestPath, PreviousPath })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            if (TryRead(path, out var payload, out var problem))
            {
                Resumed?.Invoke(path);
                return (path, payload);
            }

            Rejected?.Invoke($"Checkpoint '{path}' is damaged ({problem}); it was set aside as '{Path.GetFileName(path)}.rejected' and {Next(path)}.");
            File.Move(path, path + ".rejected", overwrite: true);
        }

        return null;
    }

    /// <summary>Reports a checkpoint whose contents passed the checksum but could not be restored, and sets it aside.</summary>
    internal void Reject(string path, string problem)
    {
        Rejected?.Invoke($"Checkpoint '{path}' cannot be restored ({problem}); it was set aside as '{Path.GetFileName(path)}.rejected' and {Next(path)}.");
        File.Move(path, path + ".rejected", overwrite: true);
    }

    /// <summary>What a run does once the checkpoint at <paramref name="path"/> is set aside: try the one before it, or, with none left, start over.</summary>
    private string Next(string path) => path == LatestPath && File.Exists(PreviousPath)
        ? "the checkpoint before it is tried"
        : "no whole checkpoint is left, so the run starts over from the beginning";

    /// <summary>Deletes every checkpoint (once the run is finished and its results are saved).</summary>
    public void Clear()
    {
        foreach (var path in new[] { LatestPath, PreviousPath }.Concat(AtomicFile.Temporaries(LatestPath).ToList()))
        {
            File.Delete(path);
        }
    }

    private static bool TryRead(string path, out byte[] payload, out string problem)
    {
        payload = [];
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException error)
        {
            problem = error.Message;
            return false;
        }

        var header = Magic.Length + sizeof(long) + SHA256.HashSizeInBytes;
        if (bytes.Length < header || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            problem = "not a Lottery checkpoint";
            return false;
        }

        var length = BitConverter.ToInt64(bytes, Magic.Length);
        if (length != bytes.Length - header)
        {
            problem = $"{bytes.Length - header} bytes of contents where the header says {length}: the file is truncated";
            return false;
        }

        var body = bytes.AsSpan(header);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(Magic.Length + sizeof(long), SHA256.HashSizeInBytes)))
        {
            problem = "its checksum does not match its contents";
            return false;
        }

        payload = body.ToArray();
        problem = string.Empty;
        return true;
    }
}
