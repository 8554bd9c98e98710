using System.CommandLine;
using Lottery.Groups;
using Spectre.Console;

namespace Lottery.CommandLine;

/// <summary>Shows the dependency groups of a declared experiment's model: which layers' units are pruned together, and the slices of a unit.</summary>
internal static class GroupsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("experiment") { Description = "A declared experiment (`list` shows them): its model is traced on one example of its data." };
        var command = new Command("groups", "Shows a model's dependency groups: the layers whose channels or neurons are pruned together (through batch norms, depthwise convolutions and residual adds), how many units each has, and every slice of one unit.")
        {
            name,
        };
        command.SetAction(parse =>
        {
            var experiment = Host.Find(parse.GetValue(name)!);
            using var model = experiment.CreateModel();
            using var data = experiment.Data.Load();
            using var example = data.Train.Inputs.narrow(0, 0, 1);
            var groups = DependencyGroups.Of(model, example);
            var table = new Table { Title = new TableTitle($"Dependency groups of {Markup.Escape(model.GetType().Name)} ({Markup.Escape(experiment.Name)})"), Border = TableBorder.Rounded };
            table.AddColumns("layers", "units", "the slices of unit 0");
            foreach (var group in groups.Groups)
            {
                table.AddRow(Markup.Escape(group.Label), $"{group.Units.Count}", Markup.Escape(string.Join(", ", group.Units[0].Members)));
            }

            AnsiConsole.Write(table);
            Console.WriteLine($"{groups.Groups.Count} groups; the output layers (whose units nothing consumes) are in none. Prune by them with [PruneSchedule(..., Groups = true)] or MaskSet.UseGroups (docs/smaller-and-faster.md#dependency-groups).");
            return 0;
        });
        return command;
    }
}
