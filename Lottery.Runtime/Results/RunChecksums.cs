using System.Security.Cryptography;
using System.Text;

namespace Lottery.Results;

/// <summary>
/// The SHA-256 of every file a finished run is read back from (<c>result.json</c>, <c>settings.json</c>,
/// <c>epochs.csv</c>, the rounds' tickets and pruned models, the kept weights), in <c>checksums.sha256</c>: written just
/// before <c>result.json</c>, in <c>sha256sum</c>'s format, so <c>sha256sum -c checksums.sha256</c> in the run's folder
/// checks it too. A run whose files do not match is never read back.
/// </summary>
internal static class RunChecksums
{
    /// <summary>The file's name inside a run's folder.</summary>
    public const string FileName = "checksums.sha256";

    /// <summary>The folders of a run whose files are covered, beside its top-level files.</summary>
    private static readonly string[] CoveredFolders = ["rounds", "weights"];

    /// <summary>The top-level files covered (<c>result.json</c> is given as text, since it is written after this file).</summary>
    private static readonly string[] CoveredFiles = ["settings.json", "epochs.csv"];

    /// <summary>
    /// Writes the checksums of the run's files in <paramref name="folder"/> and of <paramref name="resultJson"/>, the
    /// text <paramref name="resultFile"/> will hold.
    /// </summary>
    public static void Write(string folder, string resultFile, string resultJson)
    {
        var lines = new StringBuilder();
        foreach (var relative in Covered(folder))
        {
            lines.Append(HashOf(Path.Combine(folder, relative))).Append("  ").Append(relative).Append('\n');
        }

        lines.Append(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(resultJson)))).Append("  ").Append(resultFile).Append('\n');
        AtomicFile.WriteText(Path.Combine(folder, FileName), lines.ToString());
    }

    /// <summary>
    /// Checks every file <c>checksums.sha256</c> lists against its checksum; returns null when all match, or what is wrong,
    /// naming the file (a file it lists that is missing or altered, or no checksums at all).
    /// </summary>
    public static string? Problem(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return $"'{path}' is missing, so its files cannot be verified";
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException error)
        {
            return $"'{path}' cannot be read ({error.Message})";
        }

        if (lines.Length == 0)
        {
            return $"'{path}' is empty";
        }

        foreach (var line in lines)
        {
            var parts = line.Split("  ", 2);
            if (parts.Length != 2 || parts[0].Length != 64 || parts[1].Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(parts[1]))
            {
                return $"'{path}' is damaged (a line is not '<sha-256>  <file>')";
            }

            var file = Path.Combine(folder, parts[1]);
            if (!File.Exists(file))
            {
                return $"'{file}' is missing";
            }

            if (!string.Equals(HashOf(file), parts[0], StringComparison.OrdinalIgnoreCase))
            {
                return $"'{file}' is damaged: its SHA-256 is not the one {FileName} recorded when the run finished";
            }
        }

        return null;
    }

    private static IEnumerable<string> Covered(string folder)
    {
        foreach (var file in CoveredFiles.Where(f => File.Exists(Path.Combine(folder, f))))
        {
            yield return file;
        }

        foreach (var sub in CoveredFolders.Where(f => Directory.Exists(Path.Combine(folder, f))))
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(folder, sub)).Where(f => !f.EndsWith(AtomicFile.TemporarySuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                yield return $"{sub}/{Path.GetFileName(file)}";
            }
        }
    }

    private static string HashOf(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
