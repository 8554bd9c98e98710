using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lottery;

/// <summary>
/// Files that are whole or absent: written beside their place first (<c>&lt;path&gt;.&lt;writer&gt;.partial</c>, a name
/// no other process or thread uses at the same time) and then moved over it, so a process killed during a write
/// leaves the previous file as it was, and two processes writing the same file (two workers on one results folder)
/// never write into each other's temporary file. A write that fails (a full disk) deletes its temporary file; one
/// left by a process of this machine that was killed is deleted by the next write to the same file.
/// </summary>
internal static class AtomicFile
{
    private static long writes;

    /// <summary>The JSON settings of every file Lottery writes: indented, enums by name, NaN allowed.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The suffix every temporary file ends with.</summary>
    public const string TemporarySuffix = ".partial";

    /// <summary>A temporary file for one write to <paramref name="path"/>, unique to this process and write.</summary>
    public static string Temporary(string path) =>
        FormattableString.Invariant($"{path}.{Writer}-{Interlocked.Increment(ref writes)}{TemporarySuffix}");

    /// <summary>This process among all that may share a folder: its machine (containers all have process id 1) and process id.</summary>
    private static readonly string Writer = FormattableString.Invariant(
        $"{new string(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray())}-{Environment.ProcessId}");

    /// <summary>Every temporary file of writes to <paramref name="path"/> (of any process) that are still on disk.</summary>
    public static IEnumerable<string> Temporaries(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, Path.GetFileName(path) + ".*" + TemporarySuffix)
            : [];
    }

    /// <summary>
    /// Calls <paramref name="writeTo"/> with a temporary path, then <paramref name="beforeReplace"/> (if any),
    /// then moves the temporary file over <paramref name="path"/>. Creates the folder when needed. When anything
    /// fails, the temporary file is deleted and <paramref name="path"/> is left as it was.
    /// </summary>
    public static void Write(string path, Action<string> writeTo, Action? beforeReplace = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        RemoveAbandoned(full);
        var temporary = Temporary(full);
        try
        {
            writeTo(temporary);
            beforeReplace?.Invoke();
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, temporary => File.WriteAllText(temporary, text));

    /// <summary>Writes <paramref name="value"/> as JSON to <paramref name="path"/> atomically.</summary>
    public static void WriteJson<T>(string path, T value) => WriteText(path, JsonSerializer.Serialize(value, Json));

    /// <summary>
    /// Deletes the temporary files of writes to <paramref name="path"/> that a process of this machine left when it was
    /// killed: its process no longer runs. Another machine's, or a running process's, are left alone, since they may
    /// be writes under way.
    /// </summary>
    private static void RemoveAbandoned(string path)
    {
        var prefix = Path.GetFileName(path) + ".";
        var host = Writer[..Writer.LastIndexOf('-')];
        foreach (var temporary in Temporaries(path))
        {
            // <path>.<host>-<process id>-<write>.partial; the host has no '-' (see Writer).
            var parts = Path.GetFileName(temporary)[prefix.Length..^TemporarySuffix.Length].Split('-');
            if (parts.Length == 3 && parts[0] == host && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var process)
                && process != Environment.ProcessId && !Runs(process))
            {
                TryDelete(temporary);
            }
        }
    }

    private static bool Runs(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The write's own error is the one to report.
        }
    }
}
