using System.CommandLine;
using System.Globalization;
using Lottery.Data;
using Lottery.Experiments;
using Lottery.Runs;

namespace Lottery.CommandLine;

/// <summary>
/// The experiment a command works on and the options that override its declaration; `run`, `task` and `sweep` share
/// them, and a sweep passes them on to its tasks so that every task plans the same runs.
/// </summary>
internal sealed class ExperimentOptions
{
    private readonly Argument<string> name = Host.DefaultExperiment is { } chosen
        ? new("experiment") { Description = $"The experiment's name (`list` shows them; default {chosen}).", DefaultValueFactory = _ => chosen }
        : new("experiment") { Description = "The experiment's name (`list` shows them)." };
    private readonly Option<long[]?> seeds = new("--seeds") { Description = "Seeds instead of the declared ones; each runs every arm.", AllowMultipleArgumentsPerToken = true };
    private readonly Option<int?> epochs = new("--epochs") { Description = "Epochs of one training (each IMP round, each one-run arm's whole run) instead of the declared numbers, the experiment's and its schedules' own." };
    private readonly Option<int?> rounds = new("--rounds") { Description = "Rounds of every Iterative (IMP) arm instead of the declared number." };
    private readonly Option<int[]?> points = new("--points") { Description = "The matched arm's rounds that one-run arms are matched to, instead of the declared points.", AllowMultipleArgumentsPerToken = true };
    private readonly Option<string?> data = new("--data") { Description = $"A built-in data set instead of the declared data: {string.Join(" or ", DataSets.Known)}." };
    private readonly Option<string?> dataFolder = CommonOptions.DataFolder();
    private readonly Option<int?> validation = new("--validation") { Description = "Training examples held out for validation instead of the declared number." };
    private readonly Option<string> output = CommonOptions.Output();
    private readonly Option<string?> outputName = new("--name") { Description = "The folder of the report under --out (default: the experiment's name)." };
    private readonly Option<string?> device = CommonOptions.Device();
    private readonly Option<int> staleAfter = new("--stale-after") { Description = "Seconds a worker's claim on a run may go unrenewed before another worker takes the run over (a killed worker's run resumes from its checkpoint).", DefaultValueFactory = _ => (int)Results.ClaimSettings.DefaultStaleAfter.TotalSeconds };

    public ExperimentOptions()
    {
        CommonOptions.Require(epochs, v => v is null or >= 1, "it must be at least 1");
        CommonOptions.Require(rounds, v => v is null or >= 1, "it must be at least 1");
        CommonOptions.Require(validation, v => v is null or >= 0, "it must not be negative");
        CommonOptions.Require(staleAfter, v => v >= 1, "a claim must last at least 1 second");
        CommonOptions.Require(data, v => v is null || DataSets.Known.Contains(v, StringComparer.OrdinalIgnoreCase), $"use one of {string.Join(", ", DataSets.Known)}, or declare your own data with [Experiment(Data = typeof(...))]");
    }

    /// <summary>Adds the argument and options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Arguments.Add(name);
        foreach (var option in new Option[] { seeds, epochs, rounds, points, data, dataFolder, validation, device, output, outputName, staleAfter })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The experiment's name or folder as given.</summary>
    public string Name(ParseResult parse) => parse.GetValue(name)!;

    /// <summary>Whether the name is a declared experiment's.</summary>
    public bool IsDeclared(ParseResult parse) => Host.Experiments.ContainsKey(parse.GetValue(name)!);

    /// <summary>Whether any option overrides the declaration.</summary>
    public bool HasOverrides(ParseResult parse) =>
        parse.GetValue(seeds) is { Length: > 0 } || parse.GetValue(points) is { Length: > 0 } || parse.GetValue(epochs) is not null || parse.GetValue(rounds) is not null
        || parse.GetValue(data) is not null || parse.GetValue(dataFolder) is not null || parse.GetValue(validation) is not null || parse.GetValue(outputName) is not null || parse.GetValue(device) is not null || parse.GetValue(CommonOptions.Numerics) is not null;

    /// <summary>The results folder the command was given.</summary>
    public string Output(ParseResult parse) => parse.GetValue(output)!;

    /// <summary>The device given with --device, or null.</summary>
    public string? Device(ParseResult parse) => parse.GetValue(device);

    /// <summary>How long a claim lasts without renewal.</summary>
    public TimeSpan StaleAfter(ParseResult parse) => TimeSpan.FromSeconds(parse.GetValue(staleAfter));

    /// <summary>The declared experiment with the command line's overrides, validated (its device too, with <paramref name="checkDevice"/>).</summary>
    public ExperimentDefinition Experiment(ParseResult parse, bool checkDevice = true)
    {
        var experiment = Host.Find(parse.GetValue(name)!);
        experiment = Override(experiment, parse.GetValue(seeds), parse.GetValue(epochs), parse.GetValue(rounds), parse.GetValue(points), parse.GetValue(data), parse.GetValue(dataFolder), parse.GetValue(validation), parse.GetValue(outputName));
        experiment = experiment with { Training = CommonOptions.WithDevice(experiment.Training, parse.GetValue(device), checkDevice) };
        if (CommonOptions.NumericsGiven(parse) is { } numerics)
        {
            experiment = experiment with { Numerics = numerics };
        }

        experiment.Validate();
        return experiment;
    }

    /// <summary>The experiment's name and every override given, as arguments that make another process plan the same runs (--out as an absolute path; with <paramref name="withClaims"/>, --stale-after too).</summary>
    public List<string> Arguments(ParseResult parse, bool withClaims = true)
    {
        var arguments = new List<string> { parse.GetValue(name)! };
        if (parse.GetValue(seeds) is { Length: > 0 } s)
        {
            arguments.Add("--seeds");
            arguments.AddRange(s.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        }

        if (parse.GetValue(points) is { Length: > 0 } p)
        {
            arguments.Add("--points");
            arguments.AddRange(p.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        }

        Add("--epochs", parse.GetValue(epochs)?.ToString(CultureInfo.InvariantCulture));
        Add("--rounds", parse.GetValue(rounds)?.ToString(CultureInfo.InvariantCulture));
        Add("--data", parse.GetValue(data));
        Add("--data-dir", parse.GetValue(dataFolder) is { } folder ? Path.GetFullPath(folder) : null);
        Add("--validation", parse.GetValue(validation)?.ToString(CultureInfo.InvariantCulture));
        Add("--name", parse.GetValue(outputName));
        Add(CommonOptions.DeviceOption, parse.GetValue(device));
        Add("--numerics", parse.GetValue(CommonOptions.Numerics));
        Add("--out", Path.GetFullPath(parse.GetValue(output)!));
        if (withClaims)
        {
            Add("--stale-after", parse.GetValue(staleAfter).ToString(CultureInfo.InvariantCulture));
        }

        return arguments;

        void Add(string option, string? value)
        {
            if (value is not null)
            {
                arguments.Add(option);
                arguments.Add(value);
            }
        }
    }

    private static ExperimentDefinition Override(ExperimentDefinition experiment, long[]? seeds, int? epochs, int? rounds, int[]? points, string? data, string? dataFolder, int? validation, string? name)
    {
        if (seeds is { Length: > 0 })
        {
            experiment = experiment with { Seeds = seeds };
        }

        if (epochs is { } e)
        {
            // Every arm's, including those whose schedules give their own epochs.
            experiment = experiment with
            {
                Training = experiment.Training with { Epochs = e },
                Arms = experiment.Arms.Select(a => a switch
                {
                    MethodArm { Method.Epochs: not null } m => new MethodArm(m.Name, m.Method with { Epochs = null }),
                    MatchedArm { Method.Epochs: not null } m => new MatchedArm(m.Name, m.Method with { Epochs = null }),
                    _ => a,
                }).ToList(),
            };
        }

        if (rounds is { } r)
        {
            experiment = experiment with
            {
                Arms = experiment.Arms.Select(a => a is MethodArm { Method.Schedule: ScheduleKind.Iterative } imp ? new MethodArm(imp.Name, imp.Method with { Rounds = r }) : a).ToList(),
            };
        }

        if (points is { Length: > 0 })
        {
            experiment = experiment with
            {
                Points = experiment.Points is { } declared ? declared with { Rounds = points } : throw new ArgumentException($"--points: experiment {experiment.Name} matches no arms to points."),
            };
        }

        if (data is not null || dataFolder is not null)
        {
            var dataName = data ?? (experiment.Data as BuiltInDataSource)?.Name
                ?? throw new ArgumentException($"--data-dir: experiment {experiment.Name} reads its own data ({experiment.Data.Name}); --data-dir applies to the built-in data sets only.");
            experiment = experiment with { Data = DataSets.Source(dataName, dataFolder) };
        }

        if (validation is { } v)
        {
            experiment = experiment with { ValidationCount = v };
        }

        return name is null ? experiment : experiment with { Name = name };
    }
}
