using Lottery.Masks;
using Lottery.Measures;
using Lottery.Results;

namespace Lottery.Reporting;

/// <summary>
/// How much each arm's mask overlaps the reference arm's (IMP's) at the same point and seed: the Jaccard overlap of the
/// entries the two pruned models keep (<see cref="MaskBits.Jaccard"/>), read from the runs' <c>rounds/round-NN.pruned</c>
/// files. A row whose files are missing (runs finished before Lottery kept them) gets none.
/// </summary>
internal static class MaskOverlap
{
    /// <summary>The rows, each pruned row of another arm than <paramref name="matched"/> with its overlap filled in.</summary>
    public static IReadOnlyList<SummaryRow> Add(IReadOnlyList<SummaryRow> rows, string matched, RunStore store)
    {
        var reference = rows.Where(r => r.Arm == matched).GroupBy(r => (r.Seed, r.Point)).ToDictionary(g => g.Key, g => g.First());
        var bits = new Dictionary<(string Run, int Round), MaskBits?>();
        MaskBits? Of(SummaryRow row)
        {
            if (!bits.TryGetValue((row.Run, row.Round), out var value))
            {
                var path = store.PrunedModelPath(row.Run, row.Round);
                if (File.Exists(path))
                {
                    using var state = SparseStateFile.Load(path);
                    value = MaskBits.Of(state.Masks);
                }

                bits[(row.Run, row.Round)] = value;
            }

            return value;
        }

        return rows.Select(row =>
            // Point 0 is an unmatched arm's single run, not IMP's dense round 0: no overlap to give.
            row.Arm != matched && row.Schedule != "Dense" && row.Point > 0 && reference.TryGetValue((row.Seed, row.Point), out var source)
            && Of(row) is { } mine && Of(source) is { } theirs && mine.Layout == theirs.Layout
                ? row with { OverlapWithMatched = mine.Jaccard(theirs) }
                : row).ToList();
    }
}
