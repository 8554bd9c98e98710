using Lottery.Statistics;

namespace Lottery.Reporting;

/// <summary>
/// One arm against the arm its experiment matched to (usually IMP) at one point, seed by seed: the differences in
/// test accuracy in percentage points (arm − reference, so a positive difference favours the arm), at the end of
/// training and at early stopping, each with its 95% interval, paired t-test and equivalence test within ± the
/// experiment's margin. Pairing by seed is what a matched experiment gives: at point k both runs of a seed share
/// their data order and initial weights and end at the same weights remaining.
/// </summary>
/// <param name="Arm">The arm compared.</param>
/// <param name="Reference">The arm it is compared with (the experiment's reference arm, its MatchTo).</param>
/// <param name="Point">The reference's round.</param>
/// <param name="WeightsRemainingPercent">The reference's mean weights remaining at the point, over the paired seeds.</param>
/// <param name="Seeds">The seeds both arms have at the point (the pairs).</param>
/// <param name="Final">Test accuracy at the end of training, in points.</param>
/// <param name="AtBestValidation">Test accuracy at early stopping (lowest validation loss), in points.</param>
public sealed record ArmComparison(
    string Arm,
    string Reference,
    int Point,
    double WeightsRemainingPercent,
    IReadOnlyList<long> Seeds,
    EquivalenceTest Final,
    EquivalenceTest AtBestValidation)
{
    /// <summary>
    /// Every arm but <paramref name="reference"/> against it at each of <paramref name="points"/> where the arm has
    /// rows, in the order of <paramref name="arms"/> and then of the points; a point where the two share no seed (a
    /// sweep under way) is left out.
    /// </summary>
    /// <param name="rows">The summary's rows (accuracies as fractions).</param>
    /// <param name="arms">The arms in report order.</param>
    /// <param name="reference">The arm compared with.</param>
    /// <param name="points">The reference's rounds to compare at.</param>
    /// <param name="margin">The equivalence margin in percentage points.</param>
    public static IReadOnlyList<ArmComparison> Of(IReadOnlyList<SummaryRow> rows, IReadOnlyList<string> arms, string reference, IReadOnlyList<int> points, double margin)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(points);
        var comparisons = new List<ArmComparison>();
        foreach (var point in points.Order())
        {
            var referenceRows = BySeed(rows, reference, point);
            foreach (var arm in arms.Where(a => a != reference))
            {
                var armRows = BySeed(rows, arm, point);
                var seeds = armRows.Keys.Where(referenceRows.ContainsKey).Order().ToList();
                if (seeds.Count == 0)
                {
                    continue;
                }

                comparisons.Add(new ArmComparison(
                    arm,
                    reference,
                    point,
                    seeds.Average(s => referenceRows[s].WeightsRemainingPercent),
                    seeds,
                    Test(r => r.TestAccuracyFinal),
                    Test(r => r.TestAccuracyAtBestValidation)));

                // A seed whose figure is missing (NaN: a test accuracy not evaluated at early stopping) is no pair.
                EquivalenceTest Test(Func<SummaryRow, double> accuracy)
                {
                    var pairs = seeds.Where(s => double.IsFinite(accuracy(armRows[s])) && double.IsFinite(accuracy(referenceRows[s]))).ToList();
                    return EquivalenceTest.Of(
                        PairedComparison.Of(pairs.Select(s => accuracy(armRows[s]) * 100).ToList(), pairs.Select(s => accuracy(referenceRows[s]) * 100).ToList()),
                        margin);
                }
            }
        }

        return comparisons;
    }

    // One row per seed; a seed listed twice (which a plan never makes) counts once.
    private static Dictionary<long, SummaryRow> BySeed(IReadOnlyList<SummaryRow> rows, string arm, int point) =>
        rows.Where(r => r.Arm == arm && r.Point == point).GroupBy(r => r.Seed).ToDictionary(g => g.Key, g => g.First());
}
