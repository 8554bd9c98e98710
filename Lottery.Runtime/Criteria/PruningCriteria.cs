namespace Lottery.Criteria;

/// <summary>The built-in criteria, by name.</summary>
public static class PruningCriteria
{
    /// <summary>|w|.</summary>
    public static IPruningCriterion Magnitude { get; } = new MagnitudeCriterion();

    /// <summary>|w - w0|.</summary>
    public static IPruningCriterion LeastChange { get; } = new LeastChangeCriterion();

    /// <summary>|w| - |w0|.</summary>
    public static IPruningCriterion MagnitudeIncrease { get; } = new MagnitudeIncreaseCriterion();

    /// <summary>Uniformly random scores.</summary>
    public static IPruningCriterion Random { get; } = new RandomCriterion();

    /// <summary>|g * w| on a batch of training data (SNIP).</summary>
    public static IPruningCriterion Snip { get; } = new SnipCriterion();

    /// <summary>|dR/dw * w| of the magnitudes' flow, no data, 100 passes per event (SynFlow).</summary>
    public static IPruningCriterion SynFlow { get; } = new SynFlowCriterion();

    /// <summary>-sum of w * g over training (movement pruning).</summary>
    public static IPruningCriterion Movement { get; } = new MovementCriterion();

    /// <summary>Every built-in criterion, in <see cref="CriterionKind"/>'s order.</summary>
    public static IReadOnlyList<IPruningCriterion> All { get; } = [Magnitude, LeastChange, MagnitudeIncrease, Random, Snip, SynFlow, Movement];

    /// <summary>The criterion a declaration names (<see cref="CriterionKind"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="CriterionKind"/>.</exception>
    public static IPruningCriterion Of(CriterionKind kind) =>
        All.FirstOrDefault(c => c.Name == kind.ToString())
        ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Not a criterion; known criteria: {string.Join(", ", All.Select(c => c.Name))}.");

    /// <summary>The criterion called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No criterion has that name; the message lists the known ones.</exception>
    public static IPruningCriterion FromName(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown pruning criterion '{name}'. Known criteria: {string.Join(", ", All.Select(c => c.Name))}.", nameof(name));
}
