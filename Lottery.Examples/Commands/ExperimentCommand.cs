using System.CommandLine;
using System.Globalization;
using Lottery.Examples.Experiments;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Training;

namespace Lottery.Examples.Commands;

/// <summary>Lists and runs the experiments declared with [Experiment] in Lottery.Examples.</summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = $"The experiment: {string.Join(", ", ReferenceExperiments.All.Keys)}. Without a name, lists them.", Arity = ArgumentArity.ZeroOrOne };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs per round, replacing the declared number (the schedules stay as declared)." };
        var seeds = new Option<long[]>("--seeds") { Description = "Seeds, replacing the declared ones, for example --seeds 1 2 3.", AllowMultipleArgumentsPerToken = true };
        var schedules = new Option<string[]>("--schedules") { Description = "Run only these arms (by name, Dense included), for example --schedules Dense Imp.", AllowMultipleArgumentsPerToken = true };
        var dataFolder = CommonOptions.DataFolder();
        var threads = CommonOptions.Threads();
        CommonOptions.Require(epochs, v => v is null or >= 1, "it must be at least 1");

        var command = new Command("experiment", "Runs an experiment declared with [Experiment]: every arm (dense and the model's schedules) for every seed, then a table.")
        {
            name, epochs, seeds, schedules, dataFolder, threads,
        };
        command.SetAction(parse =>
        {
            var chosen = parse.GetValue(name);
            if (chosen is null)
            {
                foreach (var (key, definition) in ReferenceExperiments.All)
                {
                    Console.WriteLine($"{key,-14} {definition.Name}: {definition.DataSet}, {definition.Training.Epochs} epochs, seeds {string.Join(" ", definition.Seeds)}; arms {string.Join(", ", definition.Arms.Select(a => a.Name))}");
                }

                return 0;
            }

            if (!ReferenceExperiments.All.TryGetValue(chosen, out var experiment))
            {
                throw new ArgumentException($"No experiment named '{chosen}'. Known: {string.Join(", ", ReferenceExperiments.All.Keys)}.");
            }

            CommonOptions.ApplyThreads(parse.GetValue(threads));
            experiment = Override(experiment, parse.GetValue(epochs), parse.GetValue(seeds), parse.GetValue(schedules));
            return Run(experiment, parse.GetValue(dataFolder), Console.Out);
        });
        return command;
    }

    private static ExperimentDefinition Override(ExperimentDefinition experiment, int? epochs, long[]? seeds, string[]? arms)
    {
        if (epochs is { } e)
        {
            experiment = experiment with { Training = experiment.Training with { Epochs = e } };
        }

        if (seeds is { Length: > 0 })
        {
            experiment = experiment with { Seeds = seeds };
        }

        if (arms is { Length: > 0 })
        {
            var unknown = arms.Where(a => !experiment.Arms.Any(x => string.Equals(x.Name, a, StringComparison.OrdinalIgnoreCase))).ToList();
            if (unknown.Count > 0)
            {
                throw new ArgumentException($"--schedules {string.Join(" ", unknown)}: not an arm of {experiment.Name}. Its arms: {string.Join(", ", experiment.Arms.Select(a => a.Name))}.");
            }

            experiment = experiment with { Arms = experiment.Arms.Where(x => arms.Contains(x.Name, StringComparer.OrdinalIgnoreCase)).ToList() };
        }

        return experiment;
    }

    private static int Run(ExperimentDefinition experiment, string? dataFolder, TextWriter output)
    {
        output.WriteLine($"{experiment.Name}: {experiment.DataSet}, {experiment.Training.Optimizer} lr {experiment.Training.LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {experiment.Training.BatchSize}, {experiment.Training.Epochs} epochs per round, seeds {string.Join(" ", experiment.Seeds)}");
        var runs = experiment.Run(dataFolder, (arm, seed) => [new Progress(output, arm.Name, seed)]);
        var table = new TextTable("arm", "seed", "weights remaining", "test accuracy (end)", "test accuracy (early stop)", "epochs", "seconds");
        foreach (var run in runs)
        {
            var final = run.Result.Final;
            table.Add(
                run.Arm,
                run.Seed.ToString(CultureInfo.InvariantCulture),
                $"{final.WeightsRemaining * 100:F1}%",
                $"{final.FinalTest.Accuracy * 100:F2}%",
                $"{final.TestAccuracyAtBestValidation * 100:F2}%",
                run.Result.EpochsTrained.ToString(CultureInfo.InvariantCulture),
                run.Result.TrainingSeconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        output.WriteLine();
        table.Write(output);
        return 0;
    }

    private sealed class Progress(TextWriter output, string arm, long seed) : ITrainingHooks
    {
        public void AfterRound(RoundResult result) =>
            output.WriteLine($"{arm} seed {seed} round {result.Round}: {result.WeightsRemaining * 100:F1}% of weights, test accuracy {result.FinalTest.Accuracy * 100:F2}% ({result.TrainingSeconds:F1} s)");
    }
}
