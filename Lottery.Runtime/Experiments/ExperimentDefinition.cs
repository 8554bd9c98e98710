using System.Globalization;
using Lottery.Data;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Experiments;

/// <summary>The points matched arms are run to: the weights remaining the reference arm <paramref name="Reference"/> (the experiment's MatchTo) reached after each of its <paramref name="Rounds"/>.</summary>
/// <param name="Reference">The reference arm, matched to (usually IMP).</param>
/// <param name="Rounds">Its rounds, for example 3, 7 and 12 (51.3%, 21.1% and 7.0% of LeNet's weights at 20%).</param>
public sealed record MatchedPoints(string Reference, IReadOnlyList<int> Rounds);

/// <summary>
/// An experiment: a model, its data, how every run trains, the seeds and the arms compared. Generated from an
/// <see cref="ExperimentAttribute"/> (with its <see cref="ControlAttribute"/>s), or built by hand; change any
/// part with <c>with</c>. <see cref="ExperimentRunner.Run"/> runs it with a run store, resume and a report.
/// </summary>
public sealed record ExperimentDefinition
{
    /// <summary>The experiment's name: its report goes to <c>&lt;output&gt;/&lt;name&gt;/</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Creates a freshly initialised model (called after seeding).</summary>
    public required Func<nn.Module<Tensor, Tensor>> CreateModel { get; init; }

    /// <summary>The examples.</summary>
    public required IDataSource Data { get; init; }

    /// <summary>How every run trains (its seed is replaced by each of <see cref="Seeds"/>); <see cref="TrainingSettings.Epochs"/> is one training, one IMP round.</summary>
    public TrainingSettings Training { get; init; } = new();

    /// <summary>Each seed runs every arm.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [1];

    /// <summary>Training examples held out for validation (early stopping is measured on them).</summary>
    public int ValidationCount { get; init; } = 1000;

    /// <summary>The arms, in the order of the report; an arm comes after the arm it derives from.</summary>
    public required IReadOnlyList<ExperimentArm> Arms { get; init; }

    /// <summary>The points <see cref="MatchedArm"/>s are run to, or null when there are none.</summary>
    public MatchedPoints? Points { get; init; }

    /// <summary>
    /// The largest difference in test accuracy, in percentage points, that does not matter: the report tests each arm
    /// against <see cref="MatchedPoints.Reference"/>, seed by seed at each point, for equivalence within ± this margin. It
    /// decides no run's figures, so it is not part of any run's identity; <c>experiment.json</c> records it.
    /// </summary>
    public double EquivalenceMargin { get; init; } = 0.5;

    /// <summary>
    /// The numerics profile its runs compute with, or null for the process's (<c>LOTTERY_NUMERICS</c>, by default
    /// <see cref="NumericsProfile.Portable"/>). It is part of every run's identity (<see cref="Results.RunSpec.Numerics"/>).
    /// </summary>
    public NumericsProfile? Numerics { get; init; }

    /// <summary>Checks the experiment as a whole; the message names the setting and what to do.</summary>
    /// <exception cref="ArgumentException">A setting is out of range or the settings do not fit together.</exception>
    public ExperimentDefinition Validate()
    {
        Check(!string.IsNullOrWhiteSpace(Name) && Name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && Name is not "." and not "..", "Name", $"'{Name}' cannot be a folder name; use letters, digits and dashes");
        Training.Validate();
        Check(Seeds.Count > 0, "Seeds", "give at least one seed");
        Check(Seeds.Distinct().Count() == Seeds.Count, "Seeds", $"{string.Join(" ", Seeds)} repeats a seed; give each seed once");
        Check(ValidationCount >= 0, "Validation", $"{ValidationCount} examples cannot be held out; give 0 or more");
        Check(Arms.Count > 0, "Arms", "give at least one arm");
        Check(EquivalenceMargin is > 0 and < 100, "EquivalenceMargin", $"{EquivalenceMargin.ToString(CultureInfo.InvariantCulture)} points cannot be an equivalence margin; give the largest difference in test accuracy that does not matter, above 0 and below 100 points, for example 0.5");
        var seen = new List<string>();
        foreach (var arm in Arms)
        {
            Check(!seen.Contains(arm.Name), "Arms", $"two arms are named {arm.Name}; give each its own name");
            if (arm.Source is { } source)
            {
                Check(seen.Contains(source), "Arms", $"arm {arm.Name} derives from {source}, which is {(Arms.Any(a => a.Name == source) ? "listed after it" : "not an arm of the experiment")}; list {source} first");
            }

            seen.Add(arm.Name);
        }

        if (Points is { } points)
        {
            var matched = Arms.FirstOrDefault(a => a.Name == points.Reference);
            Check(matched is not null, "Points", $"the reference arm {points.Reference} is not an arm of the experiment; arms: {string.Join(", ", Arms.Select(a => a.Name))}");
            Check(points.Rounds.Count > 0, "Points", "give at least one round to match");
            Check(points.Rounds.Distinct().Count() == points.Rounds.Count, "Points", $"{string.Join(" ", points.Rounds)} repeats a round");
            var available = matched!.OutcomePoints(this with { Points = null });
            Check(
                points.Rounds.All(available.Contains),
                "Points",
                $"{string.Join(" ", points.Rounds)}: {points.Reference} has points {string.Join(" ", available)}; match to those, or give {points.Reference} more rounds (--rounds)");
            var first = Arms.ToList().FindIndex(a => a is MatchedArm);
            Check(first < 0 || Arms.ToList().FindIndex(a => a.Name == points.Reference) < first, "Points", $"the reference arm {points.Reference} must be listed before the arms matched to it");
        }

        foreach (var arm in Arms)
        {
            arm.Validate(this);
        }

        return this;
    }

    // The setting as the declaration names it, and as `lottery run` does where it has an option for it.
    private static void Check(bool ok, string setting, string problem)
    {
        if (!ok)
        {
            // The margin has no option on purpose: it is stated with the declaration, before any figure is seen.
            var option = setting is "Arms" or "EquivalenceMargin" ? string.Empty : $" (--{setting.ToLowerInvariant()})";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{setting}{option}: {problem}."));
        }
    }
}
