namespace Lottery.Masks;

/// <summary>How much one pruning event removes.</summary>
/// <param name="Rate">
/// Fraction of the remaining weights removed, for layers without a rate of their own. Layers with their
/// own rate remove that instead.
/// </param>
/// <param name="TargetRemaining">Fraction of all prunable weights that must remain after the event, at least.</param>
/// <param name="ExactTarget">
/// When true the event removes exactly down to <paramref name="TargetRemaining"/>, shared between layers
/// in proportion to their rates times their remaining weights.
/// </param>
public readonly record struct PruningAmount(double Rate, double TargetRemaining, bool ExactTarget)
{
    /// <summary>Remove <paramref name="rate"/> of the remaining weights, stopping at <paramref name="targetRemaining"/>.</summary>
    public static PruningAmount ByRate(double rate, double targetRemaining = 0) => new(rate, targetRemaining, false);

    /// <summary>
    /// Remove exactly down to <paramref name="targetRemaining"/> of all prunable weights; <paramref name="rate"/>
    /// is the reference that per-layer rates are compared with when sharing the removal between layers.
    /// </summary>
    public static PruningAmount ToRemaining(double targetRemaining, double rate = 0.2) => new(rate, targetRemaining, true);
}
