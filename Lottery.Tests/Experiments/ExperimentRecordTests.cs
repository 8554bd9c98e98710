using System.Text.Json;
using System.Text.Json.Serialization;
using Lottery.Results;
using Lottery.Tests.Generators;

namespace Lottery.Tests.Experiments;

/// <summary>The experiment record's names: the reference arm is written as ReferenceArm, and records written before read back.</summary>
public class ExperimentRecordTests
{
    // As the runtime writes its JSON files: indented, enums by name, NaN allowed.
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    [Fact]
    public void A_record_written_before_the_reference_arm_had_its_name_reads_back_and_is_written_with_the_new_name()
    {
        // The committed main job's record, as an earlier build wrote it: "MatchedArm": "Imp" (the same word as the arms' kind "MatchedArm").
        var path = Path.Combine(DiagnosticTests.RepositoryRoot(), "docs", "results", "lenet-300-100-mnist-digits", ExperimentRecord.FileName);
        var current = File.ReadAllText(path);
        Assert.Contains("\"ReferenceArm\": \"Imp\"", current, StringComparison.Ordinal);
        var text = current.Replace("\"ReferenceArm\": ", "\"MatchedArm\": ", StringComparison.Ordinal);

        var record = JsonSerializer.Deserialize<ExperimentRecord>(text, Options)!;
        Assert.Equal("Imp", record.ReferenceArm);

        var written = JsonSerializer.Serialize(record, Options);
        Assert.Contains("\"ReferenceArm\": \"Imp\"", written, StringComparison.Ordinal);
        Assert.DoesNotContain("\"MatchedArm\": \"Imp\"", written, StringComparison.Ordinal);
        Assert.Equal("Imp", JsonSerializer.Deserialize<ExperimentRecord>(written, Options)!.ReferenceArm);
    }
}
