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

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, IPruningCriterion> Own = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Makes a criterion of your own known by its <see cref="IPruningCriterion.Name"/>, so that a method or a declaration
    /// names it (<see cref="Runs.PruningMethod.CriterionName"/>, <c>[PruneSchedule(CriterionName = ...)]</c>) in experiments,
    /// run identities, summaries and the command line. Register it before the experiment runs (at the top of <c>Main</c>,
    /// before <c>LotteryCommandLine.Run</c>); registering the same name again replaces it. Its
    /// <see cref="IPruningCriterion.Settings"/> are part of every run's identity.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or a built-in criterion's.</exception>
    public static void Register(IPruningCriterion criterion)
    {
        ArgumentNullException.ThrowIfNull(criterion);
        if (string.IsNullOrWhiteSpace(criterion.Name) || All.Any(c => string.Equals(c.Name, criterion.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"A criterion of your own needs a name of its own; '{criterion.Name}' is {(string.IsNullOrWhiteSpace(criterion.Name) ? "empty" : "a built-in criterion's")}. Built-in criteria: {string.Join(", ", All.Select(c => c.Name))}.", nameof(criterion));
        }

        lock (Gate)
        {
            Own[criterion.Name] = criterion;
        }
    }

    /// <summary>The criteria of your own registered so far, by name.</summary>
    public static IReadOnlyList<IPruningCriterion> Registered
    {
        get
        {
            lock (Gate)
            {
                return [.. Own.Values];
            }
        }
    }

    /// <summary>The criterion a declaration names (<see cref="CriterionKind"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="CriterionKind"/>.</exception>
    public static IPruningCriterion Of(CriterionKind kind) =>
        All.FirstOrDefault(c => c.Name == kind.ToString())
        ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Not a criterion; known criteria: {string.Join(", ", All.Select(c => c.Name))}.");

    /// <summary>The criterion called <paramref name="name"/> (case-insensitive): a built-in one, or one of your own registered with <see cref="Register"/>.</summary>
    /// <exception cref="ArgumentException">No criterion has that name; the message lists the known ones and how to register one.</exception>
    public static IPruningCriterion FromName(string name) =>
        TryFind(name, out var criterion)
            ? criterion
            : throw new ArgumentException($"Unknown pruning criterion '{name}'. Known criteria: {string.Join(", ", All.Select(c => c.Name).Concat(Registered.Select(c => c.Name)))}. A criterion of your own is registered with PruningCriteria.Register(new YourCriterion()) before the experiment runs.", nameof(name));

    /// <summary>The criterion called <paramref name="name"/> (case-insensitive), built-in or registered, when there is one.</summary>
    public static bool TryFind(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPruningCriterion? criterion)
    {
        criterion = All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
        if (criterion is not null)
        {
            return true;
        }

        lock (Gate)
        {
            return Own.TryGetValue(name, out criterion);
        }
    }
}
