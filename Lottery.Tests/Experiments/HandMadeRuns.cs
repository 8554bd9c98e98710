using System.Security.Cryptography;
using System.Text;

namespace Lottery.Tests.Experiments;

/// <summary>Run folders made by hand in tests, finished as the run store finishes a run.</summary>
internal static class HandMadeRuns
{
    /// <summary>
    /// Writes <paramref name="runFolder"/>'s <c>result.json</c> with <paramref name="result"/> and, as a finished run has, its
    /// <c>checksums.sha256</c> over every file there (sha256sum's format, computed here).
    /// </summary>
    public static void Finish(string runFolder, string result = "{}")
    {
        File.WriteAllText(Path.Combine(runFolder, "result.json"), result);
        var lines = new StringBuilder();
        foreach (var file in Directory.GetFiles(runFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(runFolder, file).Replace('\\', '/');
            lines.Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))).Append("  ").Append(relative).Append('\n');
        }

        File.WriteAllText(Path.Combine(runFolder, "checksums.sha256"), lines.ToString());
    }
}
