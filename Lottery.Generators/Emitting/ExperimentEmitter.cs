using System.Globalization;
using Lottery.Generators.Models;
using Lottery.Generators.Parsing;

namespace Lottery.Generators.Emitting;

/// <summary>Writes an experiment's definition and its <c>Run</c> method.</summary>
internal static class ExperimentEmitter
{
    public static string Emit(ExperimentInfo experiment)
    {
        var name = experiment.Hierarchy.Type.Name;
        return SourceFile.Write(experiment.Hierarchy, $"The experiment {name}, from its [Experiment] declaration.", string.Empty, writer =>
        {
            var seeds = string.Join(", ", experiment.Seeds.Select(s => s.ToString(CultureInfo.InvariantCulture) + "L"));
            writer.Lines($$"""
                /// <summary>
                /// {{experiment.ModelType.Replace("global::", string.Empty)}} on {{experiment.DataSet}}, seeds {{string.Join(", ", experiment.Seeds)}}: {{string.Join(", ", Arms(experiment).Select(a => a.Name))}}.
                /// Change any part with <c>with</c>, for example <c>Definition with { Seeds = [7] }</c>.
                /// </summary>
                {{SourceFile.GeneratedCodeAttribute}}
                public static global::Lottery.Experiments.ExperimentDefinition Definition { get; } = new(
                    Name: {{Format.StringLiteral(name)}},
                    DataSet: {{Format.StringLiteral(experiment.DataSet)}},
                    CreateModel: static () => new {{experiment.ModelType}}(),
                    Training: new global::Lottery.Training.TrainingSettings
                    {
                        Optimizer = global::Lottery.Training.OptimizerKind.{{experiment.Optimizer}},
                        LearningRate = {{Format.DoubleLiteral(experiment.LearningRate)}},
                        BatchSize = {{experiment.BatchSize}},
                        Epochs = {{experiment.Epochs}},
                    },
                    Seeds: [{{seeds}}],
                    ValidationCount: {{experiment.Validation}},
                    Arms:
                    [
                """);
            foreach (var (armName, settings) in Arms(experiment))
            {
                writer.Line($"        new({Format.StringLiteral(armName)}, {settings}),");
            }

            writer.Lines($$"""
                    ]);

                /// <summary>Runs every arm for every seed and returns the runs in that order.</summary>
                /// <param name="dataFolder">Where to look for data sets that are not embedded.</param>
                /// <param name="hooks">Creates the hooks for one run (arm, seed); null for none.</param>
                {{SourceFile.GeneratedCodeAttribute}}
                public static global::System.Collections.Generic.IReadOnlyList<global::Lottery.Experiments.ExperimentRun> Run(
                    string? dataFolder = null,
                    global::System.Func<global::Lottery.Experiments.ExperimentArm, long, global::System.Collections.Generic.IEnumerable<global::Lottery.Training.ITrainingHooks>>? hooks = null) =>
                    Definition.Run(dataFolder, hooks);
                """);
        });
    }

    private static IEnumerable<(string Name, string Settings)> Arms(ExperimentInfo experiment)
    {
        if (experiment.IncludeDense)
        {
            yield return ("Dense", "global::Lottery.Runs.PruningSettings.Dense");
        }

        foreach (var schedule in experiment.Schedules)
        {
            yield return (schedule, $"{experiment.ModelType}.PruneSchedules.{schedule}");
        }
    }
}
