using System.Text.Json.Serialization;
using Lottery.Runs;
using Lottery.Training;

namespace Lottery.Results;

/// <summary>One arm of a recorded experiment.</summary>
/// <param name="Name">The arm's name.</param>
/// <param name="Kind">Its class (for example <c>MatchedArm</c>, <c>RandomReinitialisation</c>).</param>
/// <param name="Source">The arm it derives from, or null.</param>
/// <param name="Description">What it runs, in one line.</param>
public sealed record RecordedArm(string Name, string Kind, string? Source, string Description);

/// <summary>One run of a recorded experiment, as its summary needs it.</summary>
/// <param name="Id">Its folder under <c>runs/</c>.</param>
/// <param name="Arm">Its arm.</param>
/// <param name="Seed">The training seed.</param>
/// <param name="Point">The point it was run for (0: the arm's single run).</param>
/// <param name="Method">How it pruned (every setting, as in its identity).</param>
/// <param name="TrainsGivenMask">Whether it trained another run's mask rather than pruning (a control).</param>
public sealed record RecordedRun(string Id, string Arm, long Seed, int Point, PruningMethod Method, bool TrainsGivenMask);

/// <summary>What an experiment ran, written to <c>experiment.json</c> when it finishes (and by <c>lottery report</c> while a sweep is under way); its summary is rebuilt from it and the runs' results alone.</summary>
public sealed record ExperimentRecord
{
    /// <summary>The file name inside the experiment's folder.</summary>
    public const string FileName = "experiment.json";

    /// <summary>The experiment's name.</summary>
    public required string Name { get; init; }

    /// <summary>The model.</summary>
    public required ModelIdentity Model { get; init; }

    /// <summary>The data.</summary>
    public required DataIdentity Data { get; init; }

    /// <summary>How every run trained (the seed aside).</summary>
    public required TrainingSettings Training { get; init; }

    /// <summary>The seeds.</summary>
    public required IReadOnlyList<long> Seeds { get; init; }

    /// <summary>The numerics profile the runs computed with (<see cref="Native.Numerics.Identity"/>; empty in a record written before it was recorded).</summary>
    public string Numerics { get; init; } = string.Empty;

    /// <summary>The reference arm (the experiment's MatchTo): the arm whose rounds the matched arms were run to, and that the report compares every arm with; null when none.</summary>
    public string? ReferenceArm { get; init; }

    /// <summary>
    /// Reads <see cref="ReferenceArm"/> from a record written before it had that name ("MatchedArm", which also names the
    /// arms run to the points); never written.
    /// </summary>
    [JsonInclude]
    [JsonPropertyName("MatchedArm")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    private string? FormerReferenceArmName
    {
        get => null;
        init => ReferenceArm ??= value;
    }

    /// <summary>The points: the rounds of <see cref="ReferenceArm"/> the matched arms were run to.</summary>
    public IReadOnlyList<int> Points { get; init; } = [];

    /// <summary>
    /// The equivalence margin in percentage points of test accuracy, as the experiment declared it (0.5 for a record
    /// written before margins were recorded): <c>lottery report</c> tests with this one.
    /// </summary>
    public double EquivalenceMargin { get; init; } = 0.5;

    /// <summary>The arms, in order.</summary>
    public required IReadOnlyList<RecordedArm> Arms { get; init; }

    /// <summary>Every run, in the order they ran.</summary>
    public required IReadOnlyList<RecordedRun> Runs { get; init; }

    /// <summary>Planned runs that had not finished when the record was written (0 once the experiment is complete): their rows are missing.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public int Unfinished { get; init; }
}
