using Lottery.Results;
using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>The experiment's plan and what is known of its runs: their identities once resolvable, their results once finished.</summary>
internal sealed class PlanState
{
    private readonly ExperimentDefinition experiment;
    private readonly ModelIdentity model;
    private readonly DataIdentity data;
    private readonly string numerics;
    private readonly (string Id, RunSpec Spec, RunResult Result)?[] finished;
    private readonly RunSpec?[] resolved;

    public PlanState(ExperimentDefinition experiment, string output)
    {
        this.experiment = experiment;
        Plan = ExperimentPlan.Create(experiment);
        Store = new RunStore(Path.Combine(output, "runs"));
        model = ExperimentRunner.DescribeModel(experiment);
        data = new DataIdentity(experiment.Data.Name, experiment.Data.ContentHash(), experiment.ValidationCount);
        numerics = Lottery.Native.Numerics.Identity;
        finished = new (string, RunSpec, RunResult)?[Plan.Count];
        resolved = new RunSpec?[Plan.Count];
    }

    public ExperimentDefinition Experiment => experiment;

    public IReadOnlyList<PlannedRun> Plan { get; }

    public RunStore Store { get; }

    public Dictionary<string, RunResult> Results => finished.Where(f => f is not null).ToDictionary(f => f!.Value.Id, f => f!.Value.Result);

    public bool Finished(int index) => finished[index] is not null;

    public RunResult? Result(int index) => finished[index]?.Result;

    /// <summary>The epochs after which an arm's runs keep their weights, because a later arm rewinds to them.</summary>
    public IReadOnlyCollection<int> WeightEpochs(ExperimentArm arm) =>
        experiment.Arms.Where(a => a.Source == arm.Name).SelectMany(a => a.SourceWeightEpochs).Distinct().Order().ToList();

    /// <summary>The run's identity, or false while a run it derives from has not finished.</summary>
    public bool TryResolve(int index, out RunSpec spec)
    {
        if (resolved[index] is { } known)
        {
            spec = known;
            return true;
        }

        var run = Plan[index];
        RunRequest request;
        try
        {
            request = run.Arm.Resolve(run.Point, run.Seed, new Outcomes(this, run.Seed));
        }
        catch (PendingException)
        {
            spec = null!;
            return false;
        }

        spec = new RunSpec
        {
            Arm = run.Arm.Name,
            Point = run.Point,
            Model = model,
            Data = data,
            Training = experiment.Training with { Seed = run.Seed, Epochs = run.EpochsPerRound },
            Method = request.Method.WithCriterionSettings(),
            Numerics = numerics,
            StartMask = request.StartMask,
            StartWeights = request.StartWeights,
        };
        resolved[index] = spec;
        return true;
    }

    /// <summary>
    /// Reads the run back when it has finished. A finished run without the weights a later arm needs counts as
    /// unfinished (with <paramref name="needWeights"/>): it trains again, to the same figures, and keeps them.
    /// </summary>
    public bool TryReadBack(int index, RunSpec spec, bool needWeights = true)
    {
        if (needWeights && !WeightEpochs(Plan[index].Arm).All(epoch => Store.HasWeights(spec.Id, epoch)))
        {
            return false;
        }

        var result = Store.TryLoad(spec);
        if (result is null)
        {
            return false;
        }

        Add(index, spec, result);
        return true;
    }

    public void Add(int index, RunSpec spec, RunResult result) => finished[index] = (spec.Id, spec, result);

    /// <summary>Reads back every run that has finished, in plan order (so a run derived from others resolves once they are read).</summary>
    public void ReadBackFinished()
    {
        for (var index = 0; index < Plan.Count; index++)
        {
            if (!Finished(index) && TryResolve(index, out var spec))
            {
                TryReadBack(index, spec, needWeights: false);
            }
        }
    }

    /// <summary>The runs not finished so far: those without a result, and those that wait on them.</summary>
    public UnfinishedRuns Unfinished()
    {
        var missing = Enumerable.Range(0, Plan.Count).Where(i => !Finished(i)).ToList();
        return new UnfinishedRuns(
            experiment.Name,
            Plan.Count,
            [.. missing.Where(i => TryResolve(i, out _)).Select(i => Plan[i])],
            [.. missing.Where(i => !TryResolve(i, out _)).Select(i => Plan[i])]);
    }

    /// <summary>Whether another worker holds a claim in force on any unfinished run.</summary>
    public bool AnyHeldElsewhere(TimeSpan staleAfter) =>
        Enumerable.Range(0, Plan.Count).Any(i => !Finished(i) && resolved[i] is { } spec && RunClaim.Current(Store.Folder(spec)) is { } held && held.Age < staleAfter && !held.Holder.KnownGone());

    public string WhyBlocked(IReadOnlySet<int> assigned)
    {
        var waiting = assigned.Where(i => !Finished(i)).Select(i => Plan[i]).ToList();
        var missing = Enumerable.Range(0, Plan.Count).Where(i => !Finished(i) && !assigned.Contains(i)).Select(i => Plan[i].Label).ToList();
        return $"Runs {string.Join(", ", waiting.Take(5).Select(r => r.Label))}{(waiting.Count > 5 ? ", ..." : string.Empty)} need runs that have not finished and that no worker is training: "
            + $"{string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : string.Empty)}. Run those first (an earlier stage of the sweep; see its log), or run {HostProgram.Command($"run {experiment.Name}")} to train everything that is missing.";
    }

    /// <summary>The record of the runs finished so far, in plan order.</summary>
    public ExperimentRecord Record(int unfinished) => new()
    {
        Name = experiment.Name,
        Model = model,
        Data = data,
        Training = experiment.Training,
        Seeds = experiment.Seeds,
        Numerics = numerics,
        ReferenceArm = experiment.Points?.Reference,
        Points = experiment.Points?.Rounds ?? [],
        EquivalenceMargin = experiment.EquivalenceMargin,
        Arms = experiment.Arms.Select(a => new RecordedArm(a.Name, a.GetType().Name, a.Source, a.Describe())).ToList(),
        Runs = Enumerable.Range(0, Plan.Count).Where(Finished).Select(i =>
        {
            var (id, spec, _) = finished[i]!.Value;
            return new RecordedRun(id, Plan[i].Arm.Name, Plan[i].Seed, Plan[i].Point, spec.Method, spec.StartMask is not null);
        }).ToList(),
        Unfinished = unfinished,
    };

    /// <summary>The outcomes of one seed's finished runs, for resolving the runs derived from them.</summary>
    private sealed class Outcomes(PlanState state, long seed) : IArmOutcomes
    {
        public ArmOutcome Reference(int point) =>
            Of(state.experiment.Points?.Reference ?? throw new InvalidOperationException($"Experiment {state.experiment.Name} matches no arm to points."), point);

        public ArmOutcome Of(string arm, int point)
        {
            var source = state.experiment.Arms.FirstOrDefault(a => a.Name == arm)
                ?? throw new InvalidOperationException($"No arm {arm} in experiment {state.experiment.Name}.");
            var runs = new Dictionary<int, (string Run, RunResult Result)>();
            for (var i = 0; i < state.Plan.Count; i++)
            {
                var run = state.Plan[i];
                if (run.Arm == source && run.Seed == seed)
                {
                    if (state.finished[i] is not { } done)
                    {
                        throw new PendingException();
                    }

                    runs[run.Point] = (done.Id, done.Result);
                }
            }

            return runs.Count > 0 ? source.Outcome(point, runs) : throw new InvalidOperationException($"Arm {arm} has no runs for seed {seed}.");
        }
    }
}

/// <summary>A run this one derives from has not finished.</summary>
internal sealed class PendingException : Exception;
