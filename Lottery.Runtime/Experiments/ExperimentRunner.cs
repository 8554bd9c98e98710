using Lottery.Data;
using Lottery.Masks;
using Lottery.Reporting;
using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using static TorchSharp.torch;

namespace Lottery.Experiments;

/// <summary>
/// Runs an experiment with a run store: every run that has not finished is trained (resuming from its last whole
/// checkpoint after any interruption), every finished one is read back, and the summary, report and charts are
/// written to <c>&lt;output&gt;/&lt;name&gt;/</c>. Runs are kept in <c>&lt;output&gt;/runs/</c>, shared by experiments.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>Runs <paramref name="experiment"/> and returns its summary.</summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="output">The results folder.</param>
    /// <param name="progress">Told of every run and epoch, or null.</param>
    /// <exception cref="ArgumentException">The experiment is not valid, or its device is not available here.</exception>
    /// <exception cref="DataSetException">The data cannot be read.</exception>
    public static ExperimentSummary Run(ExperimentDefinition experiment, string output, IExperimentProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        var plan = ExperimentPlan.Create(experiment);
        TrainingDevice.Resolve(experiment.Training);   // an unavailable GPU fails here, before any folder is written
        var folder = Path.Combine(Path.GetFullPath(output), experiment.Name);
        Directory.CreateDirectory(folder);
        var store = new RunStore(Path.Combine(output, "runs"));
        var model = DescribeModel(experiment);
        var data = new DataIdentity(experiment.Data.Name, experiment.Data.ContentHash(), experiment.ValidationCount);
        progress?.Planned(plan);

        // The epochs after which each arm's runs keep their weights, because a later arm rewinds to them.
        var weightEpochs = experiment.Arms.ToDictionary(
            arm => arm.Name,
            arm => (IReadOnlyCollection<int>)experiment.Arms.Where(a => a.Source == arm.Name).SelectMany(a => a.SourceWeightEpochs).Distinct().Order().ToList());
        var recorded = new List<RecordedRun>();
        var results = new Dictionary<string, RunResult>();
        TrainTestData? loaded = null;
        try
        {
            foreach (var seedRuns in plan.GroupBy(p => p.Seed))
            {
                var outcomes = new Outcomes(experiment);
                DataSplit? split = null;
                try
                {
                    foreach (var run in seedRuns)
                    {
                        var request = run.Arm.Resolve(run.Point, run.Seed, outcomes);
                        var spec = new RunSpec
                        {
                            Arm = run.Arm.Name,
                            Point = run.Point,
                            Model = model,
                            Data = data,
                            Training = experiment.Training with { Seed = run.Seed },
                            Method = request.Method,
                            StartMask = request.StartMask,
                            StartWeights = request.StartWeights,
                        };
                        var keepWeights = weightEpochs[run.Arm.Name];

                        // A finished run without weights a later arm needs trains again: the same figures, and the weights kept.
                        var result = keepWeights.All(epoch => store.HasWeights(spec.Id, epoch)) ? store.TryLoad(spec) : null;
                        var reused = result is not null;
                        if (result is null)
                        {
                            loaded ??= experiment.Data.Load();
                            split ??= DataSplit.HoldOutValidation(loaded, experiment.ValidationCount, run.Seed);
                            progress?.Starting(run);
                            result = Train(experiment, store, spec, split, run, keepWeights, progress);
                        }

                        progress?.Finished(run, result, reused);
                        outcomes.Add(run, spec.Id, result);
                        results[spec.Id] = result;
                        recorded.Add(new RecordedRun(spec.Id, run.Arm.Name, run.Seed, run.Point, spec.Method, spec.StartMask is not null));
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
            loaded?.Dispose();
        }

        var record = new ExperimentRecord
        {
            Name = experiment.Name,
            Model = model,
            Data = data,
            Training = experiment.Training,
            Seeds = experiment.Seeds,
            MatchedArm = experiment.Points?.Arm,
            Points = experiment.Points?.Rounds ?? [],
            Arms = experiment.Arms.Select(a => new RecordedArm(a.Name, a.GetType().Name, a.Source, a.Describe())).ToList(),
            Runs = recorded,
        };
        AtomicFile.WriteJson(Path.Combine(folder, ExperimentRecord.FileName), record);
        var summary = ExperimentSummary.From(record, results);
        summary.Write(folder);
        return summary;
    }

    /// <summary>The identity of the experiment's model: created once with its masks attached as a run attaches them.</summary>
    public static ModelIdentity DescribeModel(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        using var model = experiment.CreateModel();
        if (model is IPrunableModel declared)
        {
            return ModelIdentity.Of(model, declared.AttachMasks());
        }

        using var masks = MaskSet.Attach(model);
        return ModelIdentity.Of(model, masks);
    }

    private static RunResult Train(ExperimentDefinition experiment, RunStore store, RunSpec spec, DataSplit split, PlannedRun planned, IReadOnlyCollection<int> keepWeights, IExperimentProgress? progress)
    {
        var settings = spec.Method.ToSettings();
        if (spec.StartMask is not null)
        {
            settings = settings with { Schedule = new FixedMaskSchedule() };
        }

        var checkpoints = store.Begin(spec);
        if (progress is not null)
        {
            checkpoints.Rejected += progress.Warning;
        }

        using var run = new PruningRun(experiment.CreateModel, spec.Training, settings);
        if (spec.StartMask is { } start)
        {
            var masks = store.LoadMasks(start.Run, start.Round);
            using var weights = spec.StartWeights is { } from ? WeightSnapshot.Load(store.WeightsPath(from.Run, from.Epoch)) : null;
            try
            {
                if (start.ShuffleSeed is { } shuffle)
                {
                    MaskShuffle.WithinEachMask(masks, shuffle, run.Masks);
                }

                run.StartFrom(masks, weights);
            }
            finally
            {
                foreach (var mask in masks.Values)
                {
                    mask.Dispose();
                }
            }
        }

        if (keepWeights.Count > 0)
        {
            run.Hooks.Add(store.SaveWeightsAfterEpochs(spec.Id, run.Model, keepWeights));
        }

        if (run.Masks is not null)
        {
            run.Hooks.Add(store.SaveArtifactsEachRound(spec.Id, run));
        }

        if (progress is not null)
        {
            run.Hooks.Add(new EpochProgress(progress, planned));
        }

        var result = run.Execute(split, checkpoints);
        store.Finish(spec.Id, result);
        return result;
    }

    private sealed class Outcomes(ExperimentDefinition experiment) : IArmOutcomes
    {
        private readonly Dictionary<string, Dictionary<int, (string Run, RunResult Result)>> runs = [];

        public void Add(PlannedRun run, string id, RunResult result)
        {
            if (!runs.TryGetValue(run.Arm.Name, out var points))
            {
                runs[run.Arm.Name] = points = [];
            }

            points[run.Point] = (id, result);
        }

        public ArmOutcome Matched(int point) =>
            Of(experiment.Points?.Arm ?? throw new InvalidOperationException($"Experiment {experiment.Name} matches no arm to points."), point);

        public ArmOutcome Of(string arm, int point)
        {
            var source = experiment.Arms.FirstOrDefault(a => a.Name == arm)
                ?? throw new InvalidOperationException($"No arm {arm} in experiment {experiment.Name}.");
            return runs.TryGetValue(arm, out var points)
                ? source.Outcome(point, points)
                : throw new InvalidOperationException($"Arm {arm} has not run yet; an arm must come after the arm it derives from.");
        }
    }

    private sealed class EpochProgress(IExperimentProgress progress, PlannedRun run) : ITrainingHooks
    {
        public void AfterEpoch(EpochMetrics metrics) => progress.Epoch(run, metrics);
    }
}
