using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lottery;

/// <summary>
/// Files that are whole or absent: written beside their place first (<c>&lt;path&gt;.partial</c>) and then moved
/// over it, so a process killed during a write leaves the previous file as it was.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The JSON settings of every file Lottery writes: indented, enums by name, NaN allowed.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The temporary file a write to <paramref name="path"/> goes to first.</summary>
    public static string Temporary(string path) => path + ".partial";

    /// <summary>
    /// Calls <paramref name="writeTo"/> with the temporary path, then <paramref name="beforeReplace"/> (if any),
    /// then moves the temporary file over <paramref name="path"/>. Creates the folder when needed.
    /// </summary>
    public static void Write(string path, Action<string> writeTo, Action? beforeReplace = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = Temporary(full);
        writeTo(temporary);
        beforeReplace?.Invoke();
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, temporary => File.WriteAllText(temporary, text));

    /// <summary>Writes <paramref name="value"/> as JSON to <paramref name="path"/> atomically.</summary>
    public static void WriteJson<T>(string path, T value) => WriteText(path, JsonSerializer.Serialize(value, Json));
}
