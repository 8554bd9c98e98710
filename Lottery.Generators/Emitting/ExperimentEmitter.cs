using System.Globalization;
using Lottery.Generators.Models;
using Lottery.Generators.Parsing;
using Lottery.Generators.Vocabulary;
using Lottery.Training;

namespace Lottery.Generators.Emitting;

/// <summary>Writes an experiment's definition (its arms from the model's schedules and the declared controls) and its <c>Run</c> method.</summary>
internal static class ExperimentEmitter
{
    private const string Experiments = "global::Lottery.Experiments";

    public static string Emit(ExperimentInfo experiment)
    {
        var name = experiment.Hierarchy.Type.Name;
        return SourceFile.Write(experiment.Hierarchy, $"The experiment {name}, from its [Experiment] declaration.", string.Empty, writer =>
        {
            var seeds = string.Join(", ", experiment.Seeds.Select(s => s.ToString(CultureInfo.InvariantCulture) + "L"));
            var arms = Arms(experiment).ToList();
            var data = experiment.DataType is { } dataType ? $"new {dataType}()" : $"global::Lottery.Data.DataSets.Source({ValueText.StringLiteral(experiment.DataSet)})";
            writer.Lines($$"""
                /// <summary>
                /// {{experiment.ModelType.Replace("global::", string.Empty)}} on {{(experiment.DataType ?? experiment.DataSet).Replace("global::", string.Empty)}}, seeds {{string.Join(", ", experiment.Seeds)}}: {{string.Join(", ", arms.Select(a => a.Name))}}.
                /// Change any part with <c>with</c>, for example <c>Definition with { Seeds = [7] }</c>.
                /// </summary>
                {{SourceFile.GeneratedCodeAttribute}}
                public static {{Experiments}}.ExperimentDefinition Definition { get; } = new()
                {
                    Name = {{ValueText.StringLiteral(experiment.Name)}},
                    CreateModel = static () => new {{experiment.ModelType}}(),
                    Data = {{data}},
                    Training = new global::Lottery.Training.TrainingSettings
                    {
                        Optimizer = global::Lottery.Training.OptimizerKind.{{experiment.Optimizer}},
                        LearningRate = {{ValueText.DoubleLiteral(experiment.LearningRate)}},
                        BatchSize = {{experiment.BatchSize}},
                        Epochs = {{experiment.Epochs}},
                """);
            if (experiment.LossType is { } loss)
            {
                writer.Line($"        Loss = new {loss}(),");
            }

            if (experiment.SparseTraining != nameof(SparseTraining.Dense))
            {
                writer.Line($"        SparseTraining = global::Lottery.Training.SparseTraining.{experiment.SparseTraining},");
            }

            if (experiment.Device is { } device)
            {
                // The source lets an unavailable device's error point at this declaration.
                var declaration = $"[Experiment(Device = {ValueText.StringLiteral(device)})] on {experiment.Hierarchy.FullName.Replace("global::", string.Empty)}";
                writer.Line($"        Device = {ValueText.StringLiteral(device)},");
                writer.Line($"        DeviceSource = {ValueText.StringLiteral(declaration)},");
            }

            writer.Line("    },");
            writer.Line($"    Seeds = [{seeds}],");
            if (experiment.Numerics is { } numerics)
            {
                writer.Line($"    Numerics = global::Lottery.Training.NumericsProfile.{(numerics == NumericsName.Native ? nameof(NumericsProfile.Native) : nameof(NumericsProfile.Portable))},");
            }

            writer.Line($"    ValidationCount = {experiment.Validation},");
            if (experiment.MatchTo is { } matchTo)
            {
                writer.Line($"    Points = new({ValueText.StringLiteral(matchTo)}, [{string.Join(", ", experiment.Points.Select(p => p.ToString(CultureInfo.InvariantCulture)))}]),");
            }

            writer.Line($"    EquivalenceMargin = {ValueText.DoubleLiteral(experiment.EquivalenceMargin)},");

            writer.Line("    Arms =");
            writer.Line("    [");
            foreach (var (_, expression) in arms)
            {
                writer.Line($"        {expression},");
            }

            writer.Lines($$"""
                    ],
                };

                /// <summary>
                /// Runs every arm for every seed with a run store under <paramref name="output"/>: finished runs are read back,
                /// interrupted ones resume; the summary, report and charts go to <c>&lt;output&gt;/{{experiment.Name}}/</c>.
                /// </summary>
                /// <param name="output">The results folder.</param>
                /// <param name="progress">Told of every run and epoch, or null.</param>
                {{SourceFile.GeneratedCodeAttribute}}
                public static global::Lottery.Reporting.ExperimentSummary Run(string output = "results", {{Experiments}}.IExperimentProgress? progress = null) =>
                    {{Experiments}}.ExperimentRunner.Run(Definition, output, progress);
                """);
        });
    }

    // The arms in report order: Dense first, then the schedules, each control right after the arm it derives from.
    private static IEnumerable<(string Name, string Expression)> Arms(ExperimentInfo experiment)
    {
        var arms = new List<(string Name, string Expression)>();
        if (experiment.IncludeDense)
        {
            arms.Add(("Dense", $"new {Experiments}.MethodArm(\"Dense\", global::Lottery.Runs.PruningMethod.Dense)"));
        }

        arms.AddRange(experiment.Schedules.Select(schedule =>
            (schedule, $"new {Experiments}.{(experiment.Matched.Contains(schedule) ? "MatchedArm" : "MethodArm")}({ValueText.StringLiteral(schedule)}, {experiment.ModelType}.PruneSchedules.{schedule})")));
        foreach (var arm in arms)
        {
            yield return arm;
            foreach (var control in experiment.Controls.Where(c => c.Of == arm.Name))
            {
                var epoch = control.Epoch is { } k ? ", " + k.ToString(CultureInfo.InvariantCulture) : string.Empty;
                yield return ($"{control.Type.Split('.').Last()}({arm.Name}{epoch})", $"new {control.Type}({ValueText.StringLiteral(arm.Name)}{epoch})");
            }
        }
    }
}
