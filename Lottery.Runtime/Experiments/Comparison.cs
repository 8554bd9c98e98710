using System.Globalization;
using System.Text.Json;
using Lottery.Criteria;
using Lottery.Data;
using Lottery.Masks;
using Lottery.Results;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>
/// The hypothesis comparison: dense, IMP with rewinding to initialisation, the one-run methods and the
/// controls, every one for every seed, the one-run methods at the weights remaining of chosen IMP rounds.
/// </summary>
public sealed record ComparisonSettings
{
    /// <summary>The methods run when none are chosen: dense, IMP, the re-initialisation control, EveryEpoch by magnitude and by least change with and without rewinding, and random pruning.</summary>
    public static IReadOnlyList<ComparisonMethod> DefaultMethods { get; } =
    [
        ComparisonMethod.Dense, ComparisonMethod.Imp, ComparisonMethod.ImpRandomReinit,
        ComparisonMethod.EveryEpochMagnitude, ComparisonMethod.EveryEpochMagnitudeRewind,
        ComparisonMethod.EveryEpochLeastChange, ComparisonMethod.EveryEpochLeastChangeRewind,
        ComparisonMethod.EveryEpochRandom,
    ];

    /// <summary>The comparison's name: its report goes to <c>&lt;output&gt;/&lt;name&gt;/</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The model's name (part of every run's identity).</summary>
    public required string Model { get; init; }

    /// <summary>Creates a freshly initialised model (called after seeding).</summary>
    public required Func<nn.Module<Tensor, Tensor>> CreateModel { get; init; }

    /// <summary>The data set (see <see cref="DataSets.Known"/>).</summary>
    public string DataSet { get; init; } = DataSets.MnistDigits;

    /// <summary>Training images held out for validation (early stopping is measured on them).</summary>
    public int ValidationCount { get; init; } = 1000;

    /// <summary>How every run trains; <see cref="TrainingSettings.Epochs"/> is the length of one training (one IMP round).</summary>
    public TrainingSettings Training { get; init; } = new() { Epochs = 15 };

    /// <summary>Each seed runs every method.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [1, 2, 3];

    /// <summary>Fraction of the remaining weights removed per pruning event (layers with their own declared rate keep it).</summary>
    public double Rate { get; init; } = 0.2;

    /// <summary>IMP's pruning rounds (12 at 20% leave about 7% of LeNet's weights).</summary>
    public int ImpRounds { get; init; } = 12;

    /// <summary>The IMP rounds whose weights remaining the one-run methods and the controls are run to.</summary>
    public IReadOnlyList<int> MatchedRounds { get; init; } = [3, 7, 12];

    /// <summary>One-run methods stop pruning this many epochs before the end, to recover.</summary>
    public int RecoveryEpochs { get; init; } = 3;

    /// <summary>The methods compared.</summary>
    public IReadOnlyList<ComparisonMethod> Methods { get; init; } = DefaultMethods;

    /// <summary>The last epoch after which a one-run method may prune.</summary>
    public int PruningEndEpoch => Training.Epochs - RecoveryEpochs;

    /// <summary>Checks the settings together and names what is wrong and how to fix it.</summary>
    /// <exception cref="ArgumentException">A setting is out of range or the settings do not fit together.</exception>
    public ComparisonSettings Validate()
    {
        Training.Validate();
        Check(!string.IsNullOrWhiteSpace(Name) && Name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && Name is not "." and not "..", "name", $"'{Name}' cannot be a folder name; use letters, digits and dashes");
        Check(DataSets.Known.Contains(DataSet, StringComparer.OrdinalIgnoreCase), "data", $"'{DataSet}' is not a data set Lottery knows; use one of {string.Join(", ", DataSets.Known)}");
        Check(Seeds.Count > 0, "seeds", "give at least one seed");
        Check(Seeds.Distinct().Count() == Seeds.Count, "seeds", $"seeds {string.Join(" ", Seeds)} repeat one; give each seed once");
        Check(Methods.Count > 0, "methods", "choose at least one method");
        Check(Rate > 0 && Rate < 1, "rate", $"{Rate.ToString(CultureInfo.InvariantCulture)} is not a fraction in (0, 1), for example 0.2");
        Check(ImpRounds >= 1, "rounds", $"IMP needs at least 1 round, not {ImpRounds}");
        Check(MatchedRounds.Count > 0, "points", "give at least one IMP round to compare at");
        Check(MatchedRounds.All(r => r >= 1 && r <= ImpRounds), "points", $"{string.Join(" ", MatchedRounds)}: every point is an IMP round from 1 to --rounds ({ImpRounds})");
        Check(MatchedRounds.Distinct().Count() == MatchedRounds.Count, "points", $"{string.Join(" ", MatchedRounds)} repeats a round");
        Check(RecoveryEpochs >= 0 && RecoveryEpochs < Training.Epochs, "recovery-epochs", $"{RecoveryEpochs} must be at least 0 and less than --epochs ({Training.Epochs})");
        Check(!Methods.Contains(ComparisonMethod.ImpRandomReinit) || Methods.Contains(ComparisonMethod.Imp), "methods", "ImpRandomReinit trains IMP's masks, so Imp must be run too");
        var oneRun = Methods.Any(m => m is not (ComparisonMethod.Dense or ComparisonMethod.Imp or ComparisonMethod.ImpRandomReinit));
        var deepest = MatchedRounds.Max();
        Check(
            !oneRun || PruningEndEpoch >= deepest,
            "epochs",
            $"{Training.Epochs} epochs less {RecoveryEpochs} recovery epochs leave {PruningEndEpoch} epochs to prune after, but reaching IMP round {deepest}'s weights remaining at the same rate takes {deepest} pruning events; "
            + $"use --epochs {deepest + RecoveryEpochs} or more, fewer --recovery-epochs, or --points up to {PruningEndEpoch}");
        return this;
    }

    private static void Check(bool ok, string option, string problem)
    {
        if (!ok)
        {
            throw new ArgumentException($"--{option}: {problem}.");
        }
    }
}

/// <summary>One run a comparison needs.</summary>
/// <param name="Spec">What it computes (its identity on disk).</param>
/// <param name="Epochs">Epochs it trains.</param>
public sealed record PlannedRun(RunSpec Spec, int Epochs)
{
    /// <summary>A short label, for example <c>EveryEpochMagnitude r7 seed 2</c>.</summary>
    public string Label => Spec.MatchedRound > 0
        ? FormattableString.Invariant($"{Spec.Method} {Spec.TargetRemaining * 100:0.#}% seed {Spec.Training.Seed}")
        : FormattableString.Invariant($"{Spec.Method} seed {Spec.Training.Seed}");
}

/// <summary>Called as a comparison goes; every method is optional.</summary>
public interface IComparisonProgress
{
    /// <summary>Once, with every run the comparison needs, finished ones included.</summary>
    void Planned(IReadOnlyList<PlannedRun> runs, IReadOnlySet<string> finished)
    {
    }

    /// <summary>Before a run trains.</summary>
    void Starting(PlannedRun run)
    {
    }

    /// <summary>After each epoch of a run.</summary>
    void Epoch(PlannedRun run, EpochMetrics metrics)
    {
    }

    /// <summary>After a run, trained or read back.</summary>
    void Finished(PlannedRun run, RunResult result, bool reused)
    {
    }

    /// <summary>A problem that does not stop the comparison (a damaged checkpoint set aside).</summary>
    void Warning(string message)
    {
    }
}

/// <summary>Plans and runs a <see cref="ComparisonSettings"/>.</summary>
public static class Comparison
{
    /// <summary>The seed of the re-initialised weights of the control for training seed s: s + this.</summary>
    public const long ReinitSeedOffset = 1_000_000;

    /// <summary>Every run the comparison needs, in the order they run (a control after the IMP run whose mask it trains).</summary>
    public static IReadOnlyList<PlannedRun> Plan(ComparisonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var epochs = settings.Training.Epochs;
        var targets = settings.MatchedRounds.ToDictionary(r => r, r => ImpWeightsRemaining(settings, r));
        var plan = new List<PlannedRun>();
        foreach (var seed in settings.Seeds)
        {
            var basis = new RunSpec
            {
                Model = settings.Model,
                DataSet = settings.DataSet,
                ValidationCount = settings.ValidationCount,
                Training = settings.Training with { Seed = seed },
                Method = ComparisonMethod.Dense,
                Schedule = "Dense",
            };
            RunSpec? imp = null;
            foreach (var method in settings.Methods.Distinct())
            {
                switch (method)
                {
                    case ComparisonMethod.Dense:
                        plan.Add(new PlannedRun(basis, epochs));
                        break;
                    case ComparisonMethod.Imp:
                        imp = basis with { Method = method, Schedule = "Iterative", Criterion = "Magnitude", Rewind = "ToInit", Rate = settings.Rate, Rounds = settings.ImpRounds };
                        plan.Add(new PlannedRun(imp, epochs * (settings.ImpRounds + 1)));
                        break;
                    case ComparisonMethod.ImpRandomReinit:
                        break;
                    default:
                        foreach (var round in settings.MatchedRounds)
                        {
                            plan.Add(new PlannedRun(OneRun(basis, method, settings, round, targets[round]), epochs));
                        }

                        break;
                }
            }

            if (settings.Methods.Contains(ComparisonMethod.ImpRandomReinit) && imp is not null)
            {
                var index = plan.FindIndex(p => p.Spec == imp) + 1;
                plan.InsertRange(index, settings.MatchedRounds.Select(round => new PlannedRun(
                    basis with
                    {
                        Method = ComparisonMethod.ImpRandomReinit,
                        Schedule = "FixedMask",
                        MatchedRound = round,
                        TargetRemaining = targets[round],
                        MaskFrom = imp.Id,
                        MaskRound = round,
                        InitSeed = seed + ReinitSeedOffset,
                    },
                    epochs)));
            }
        }

        return plan;
    }

    /// <summary>
    /// The weights remaining after <paramref name="rounds"/> IMP rounds, counted as the pruner counts: each
    /// masked layer with r weights left loses round(p r) at its own rate p (or the comparison's).
    /// </summary>
    public static double ImpWeightsRemaining(ComparisonSettings settings, int rounds)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var model = settings.CreateModel();
        using var masks = model is IPrunableModel declared ? declared.AttachMasks() : MaskSet.Attach(model);
        long total = 0, remaining = 0;
        foreach (var weight in masks.Weights)
        {
            var left = weight.Count;
            var rate = weight.Rate ?? settings.Rate;
            for (var i = 0; i < rounds; i++)
            {
                left -= (long)Math.Round(rate * left, MidpointRounding.AwayFromZero);
            }

            total += weight.Count;
            remaining += left;
        }

        return (double)remaining / total;
    }

    /// <summary>How a run of <paramref name="spec"/> prunes.</summary>
    public static PruningSettings PruningFor(RunSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var rewind = spec.Rewind == "ToInit" ? Rewind.ToInit : Rewind.None;
        var criterion = spec.Criterion is { } name ? PruningCriteria.FromName(name) : PruningCriteria.Magnitude;
        IPruningSchedule? schedule = spec.Schedule switch
        {
            "Dense" => null,
            "Iterative" => new IterativeSchedule(spec.Rate, spec.Rounds),
            "EveryEpoch" => new EveryEpochSchedule(spec.Rate, spec.TargetRemaining, 1, spec.EndEpoch),
            "Gradual" => new GradualSchedule(spec.TargetRemaining, 1, spec.EndEpoch, rate: spec.Rate),
            "OneShot" => new OneShotSchedule(spec.TargetRemaining, spec.EndEpoch, spec.Rate),
            "FixedMask" => new FixedMaskSchedule(),
            _ => throw new ArgumentException($"Run settings name an unknown schedule '{spec.Schedule}'.", nameof(spec)),
        };
        return new PruningSettings { Schedule = schedule, Criterion = criterion, Rewind = rewind, InitSeed = spec.InitSeed };
    }

    /// <summary>
    /// Runs every planned run that has not finished (resuming any that was interrupted), reads back those that
    /// have, and writes the report to <c>&lt;output&gt;/&lt;name&gt;/</c>. Runs are kept in <c>&lt;output&gt;/runs/</c>.
    /// </summary>
    /// <param name="settings">The comparison.</param>
    /// <param name="output">The results folder.</param>
    /// <param name="dataFolder">Where to look for data sets that are not embedded.</param>
    /// <param name="progress">Told of every run and epoch, or null.</param>
    public static ComparisonReport Run(ComparisonSettings settings, string output, string? dataFolder = null, IComparisonProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        var plan = Plan(settings);
        var store = new RunStore(Path.Combine(output, "runs"));
        var folder = Path.Combine(Path.GetFullPath(output), settings.Name);
        Directory.CreateDirectory(folder);
        var record = ComparisonRecord.From(settings, plan);
        AtomicFile.WriteJson(Path.Combine(folder, ComparisonRecord.FileName), record);

        // Each finished run is read once, here.
        var finished = new Dictionary<string, RunResult>();
        foreach (var run in plan)
        {
            if (store.TryLoad(run.Spec.Id) is { } result)
            {
                finished[run.Spec.Id] = result;
            }
        }

        progress?.Planned(plan, finished.Keys.ToHashSet());
        TrainTestData? data = null;
        try
        {
            foreach (var seedRuns in plan.GroupBy(p => p.Spec.Training.Seed))
            {
                DataSplit? split = null;
                try
                {
                    foreach (var run in seedRuns)
                    {
                        if (finished.TryGetValue(run.Spec.Id, out var saved))
                        {
                            progress?.Finished(run, saved, reused: true);
                            continue;
                        }

                        data ??= DataSets.Load(settings.DataSet, dataFolder);
                        split ??= DataSplit.HoldOutValidation(data, settings.ValidationCount, seedRuns.Key);
                        progress?.Starting(run);
                        ITrainingHooks[] hooks = progress is null ? [] : [new EpochProgress(progress, run)];
                        var result = store.Run(run.Spec, settings.CreateModel, split, hooks, progress is null ? null : progress.Warning, out var reused);
                        progress?.Finished(run, result, reused);
                    }
                }
                finally
                {
                    split?.Dispose();
                }
            }
        }
        finally
        {
            data?.Dispose();
        }

        var report = ComparisonReport.Load(folder, store.Root);
        report.Write(folder);
        return report;
    }

    private static RunSpec OneRun(RunSpec basis, ComparisonMethod method, ComparisonSettings settings, int round, double target)
    {
        var (schedule, criterion, rewind) = method switch
        {
            ComparisonMethod.EveryEpochMagnitude => ("EveryEpoch", "Magnitude", "None"),
            ComparisonMethod.EveryEpochMagnitudeRewind => ("EveryEpoch", "Magnitude", "ToInit"),
            ComparisonMethod.EveryEpochLeastChange => ("EveryEpoch", "LeastChange", "None"),
            ComparisonMethod.EveryEpochLeastChangeRewind => ("EveryEpoch", "LeastChange", "ToInit"),
            ComparisonMethod.EveryEpochRandom => ("EveryEpoch", "Random", "None"),
            ComparisonMethod.EveryEpochMagnitudeIncrease => ("EveryEpoch", "MagnitudeIncrease", "None"),
            ComparisonMethod.Gradual => ("Gradual", "Magnitude", "None"),
            ComparisonMethod.OneShot => ("OneShot", "Magnitude", "None"),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Not a one-run method."),
        };
        return basis with
        {
            Method = method,
            Schedule = schedule,
            Criterion = criterion,
            Rewind = rewind,
            Rate = settings.Rate,
            TargetRemaining = target,
            EndEpoch = settings.PruningEndEpoch,
            MatchedRound = round,
        };
    }

    private sealed class EpochProgress(IComparisonProgress progress, PlannedRun run) : ITrainingHooks
    {
        public void AfterEpoch(EpochMetrics metrics) => progress.Epoch(run, metrics);
    }
}
