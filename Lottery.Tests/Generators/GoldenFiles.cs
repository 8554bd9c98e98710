using System.Runtime.CompilerServices;

namespace Lottery.Tests.Generators;

/// <summary>
/// Compares generated sources with the reviewed copies under Generators/Golden/&lt;case&gt;/. Run the tests with
/// <c>LOTTERY_UPDATE_GOLDEN=1</c> to rewrite the copies from the generator's current output, then review the diff.
/// </summary>
internal static class GoldenFiles
{
    public const string UpdateVariable = "LOTTERY_UPDATE_GOLDEN";

    public static void Check(string caseName, IReadOnlyDictionary<string, string> sources, [CallerFilePath] string callerFile = "")
    {
        var folder = Path.Combine(Path.GetDirectoryName(callerFile)!, "Golden", caseName);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
            foreach (var (hintName, text) in sources)
            {
                File.WriteAllText(Path.Combine(folder, hintName), Normalize(text));
            }

            return;
        }

        Assert.True(Directory.Exists(folder), $"No golden files for '{caseName}' at {folder}. Run the tests once with {UpdateVariable}=1 and review them.");
        var expected = Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, sources.Keys.Order(StringComparer.Ordinal).ToList());
        foreach (var (hintName, text) in sources)
        {
            var golden = Normalize(File.ReadAllText(Path.Combine(folder, hintName)));
            if (golden != Normalize(text))
            {
                var goldenLines = golden.Split('\n');
                var actualLines = Normalize(text).Split('\n');
                var line = Enumerable.Range(0, Math.Min(goldenLines.Length, actualLines.Length)).FirstOrDefault(i => goldenLines[i] != actualLines[i], Math.Min(goldenLines.Length, actualLines.Length));
                Assert.Fail(
                    $"{caseName}/{hintName} differs from its golden file at line {line + 1}:\n"
                    + $"  golden:    {(line < goldenLines.Length ? goldenLines[line] : "<end of file>")}\n"
                    + $"  generated: {(line < actualLines.Length ? actualLines[line] : "<end of file>")}\n"
                    + $"If the change is intended, run the tests with {UpdateVariable}=1 and review the diff.");
            }
        }
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").TrimStart('\uFEFF');
}
