using Lottery.Data;
using Lottery.Training;
using static TorchSharp.torch;

using Lottery.Runs;

namespace Lottery.Experiments;

/// <summary>One method an experiment compares: a name and how it prunes (<see cref="PruningSettings.Dense"/> for the reference).</summary>
public sealed record ExperimentArm(string Name, PruningSettings Pruning);

/// <summary>One finished run of an experiment: which arm, which seed, and what it measured.</summary>
public sealed record ExperimentRun(string Arm, long Seed, RunResult Result);

/// <summary>
/// An experiment: a model, a data set, how to train, the seeds and the arms to compare. Generated from an
/// <see cref="ExperimentAttribute"/>, or built by hand; change any part with <c>with</c>.
/// </summary>
/// <param name="Name">The experiment's name, for reports.</param>
/// <param name="DataSet">A data set name known to <see cref="DataSets.Load"/>.</param>
/// <param name="CreateModel">Creates a freshly initialised model (called after seeding).</param>
/// <param name="Training">How each run trains; its seed is replaced by each of <paramref name="Seeds"/>.</param>
/// <param name="Seeds">Each seed runs every arm.</param>
/// <param name="ValidationCount">Training images held out for validation.</param>
/// <param name="Arms">The methods compared.</param>
public sealed record ExperimentDefinition(
    string Name,
    string DataSet,
    Func<nn.Module<Tensor, Tensor>> CreateModel,
    TrainingSettings Training,
    IReadOnlyList<long> Seeds,
    int ValidationCount,
    IReadOnlyList<ExperimentArm> Arms)
{
    /// <summary>
    /// Runs every arm for every seed, in that order, on the data set loaded once (from
    /// <paramref name="dataFolder"/> when given), and returns the runs in the same order.
    /// </summary>
    /// <param name="dataFolder">Where to look for data sets that are not embedded.</param>
    /// <param name="hooks">Creates the hooks for one run (arm, seed); null for none.</param>
    public IReadOnlyList<ExperimentRun> Run(string? dataFolder = null, Func<ExperimentArm, long, IEnumerable<ITrainingHooks>>? hooks = null)
    {
        if (Seeds.Count == 0 || Arms.Count == 0)
        {
            throw new InvalidOperationException($"Experiment {Name} has {Seeds.Count} seeds and {Arms.Count} arms; it needs at least one of each.");
        }

        using var data = DataSets.Load(DataSet, dataFolder);
        var runs = new List<ExperimentRun>();
        foreach (var seed in Seeds)
        {
            using var split = DataSplit.HoldOutValidation(data, ValidationCount, seed);
            foreach (var arm in Arms)
            {
                using var run = new PruningRun(CreateModel, Training with { Seed = seed }, arm.Pruning);
                run.Hooks.AddRange(hooks?.Invoke(arm, seed) ?? []);
                runs.Add(new ExperimentRun(arm.Name, seed, run.Execute(split)));
            }
        }

        return runs;
    }
}
