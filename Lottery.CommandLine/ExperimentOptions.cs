using System.CommandLine;
using System.Globalization;
using Lottery.Data;
using Lottery.Experiments;
using Lottery.Runs;
using Lottery.Training;

namespace Lottery.CommandLine;

/// <summary>
/// The experiment a command works on and the options that override its declaration; `run`, `task` and `sweep` share
/// them, and a sweep or `run --workers N` passes them on to its tasks and workers so that every one plans the same runs.
/// Each option is one entry of <see cref="Table"/>: declared once, with how it changes the experiment and how it is
/// written into a worker's arguments.
/// </summary>
internal sealed class ExperimentOptions
{
    private readonly Argument<string> name = Host.DefaultExperiment is { } chosen
        ? new("experiment") { Description = $"The experiment's name (`list` shows them; default {chosen}).", DefaultValueFactory = _ => chosen }
        : new("experiment") { Description = "The experiment's name (`list` shows them)." };
    private readonly Option<string> output = CommonOptions.Output();
    private readonly Option<int> staleAfter = new("--stale-after") { Description = "Seconds a worker's claim on a run may go unrenewed before another worker takes the run over (a killed worker's run resumes from its checkpoint).", DefaultValueFactory = _ => (int)Results.ClaimSettings.DefaultStaleAfter.TotalSeconds };

    public ExperimentOptions()
    {
        Table =
        [
            new ExperimentOption<long[]?>(new("--seeds") { Description = "Seeds instead of the declared ones; each runs every arm.", AllowMultipleArgumentsPerToken = true })
            {
                IsGiven = v => v is { Length: > 0 },
                Apply = (e, v) => e with { Seeds = v! },
                Write = v => v!.Select(Text),
            },
            new ExperimentOption<int?>(new("--epochs") { Description = "Epochs of one training (each IMP round, each one-run arm's whole run) instead of the declared numbers, the experiment's and its schedules' own." })
            {
                Valid = (v => v is null or >= 1, "it must be at least 1"),
                Apply = (e, v) => WithEpochs(e, v!.Value),
            },
            new ExperimentOption<int?>(new("--rounds") { Description = "Rounds of every Iterative (IMP) arm instead of the declared number." })
            {
                Valid = (v => v is null or >= 1, "it must be at least 1"),
                Apply = (e, v) => e with { Arms = e.Arms.Select(a => a is MethodArm { Method.TrainsInRounds: true } imp ? new MethodArm(imp.Name, imp.Method with { Rounds = v }) : a).ToList() },
            },
            new ExperimentOption<int[]?>(new("--points") { Description = "The points: the reference arm's (MatchTo's) rounds that one-run arms are matched to, instead of the declared ones.", AllowMultipleArgumentsPerToken = true })
            {
                IsGiven = v => v is { Length: > 0 },
                Apply = (e, v) => e with { Points = e.Points is { } declared ? declared with { Rounds = v! } : throw new ArgumentException($"--points: experiment {e.Name} matches no arms to points.") },
                Write = v => v!.Select(Text),
            },
            new ExperimentOption<string?>(new("--data") { Description = $"A built-in data set instead of the declared data: {string.Join(" or ", DataSets.Known)}." })
            {
                Valid = (v => v is null || DataSets.Known.Contains(v, StringComparer.OrdinalIgnoreCase), $"use one of {string.Join(", ", DataSets.Known)}, or declare your own data with [Experiment(Data = typeof(...))]"),
                Apply = (e, v) => e with { Data = DataSets.Source(v!, null) },
            },
            new ExperimentOption<string?>(CommonOptions.DataFolder())
            {
                // After --data: the folder of the data set --data chose, or of the declared built-in one.
                Apply = (e, v) => e with
                {
                    Data = DataSets.Source(
                        (e.Data as BuiltInDataSource)?.Name ?? throw new ArgumentException($"--data-dir: experiment {e.Name} reads its own data ({e.Data.Name}); --data-dir applies to the built-in data sets only."),
                        v),
                },
                Write = v => [Path.GetFullPath(v!)],
            },
            new ExperimentOption<int?>(new("--validation") { Description = "Training examples held out for validation instead of the declared number." })
            {
                Valid = (v => v is null or >= 0, "it must not be negative"),
                Apply = (e, v) => e with { ValidationCount = v!.Value },
            },
            new ExperimentOption<string?>(new("--sparse-training") { Description = "How masked Linear layers train: dense (LibTorch's product over every weight), sparse (over the surviving weights only) or auto (sparse where a layer keeps at most 10% of its weights), instead of the declared one. Part of every run's identity unless dense." })
            {
                Valid = (v => v is null || Enum.GetNames<SparseTraining>().Contains(v, StringComparer.OrdinalIgnoreCase), "give dense, sparse or auto"),
                Apply = (e, v) => e with { Training = e.Training with { SparseTraining = Enum.Parse<SparseTraining>(v!, ignoreCase: true) } },
            },
            new ExperimentOption<string?>(CommonOptions.Device())
            {
                // Checked against this machine once every option is applied (Experiment).
                Apply = (e, v) => e with { Training = CommonOptions.WithDevice(e.Training, v, check: false) },
            },
            new ExperimentOption<string>(output)
            {
                // Not an override: where the runs are. Always passed on, as an absolute path (a worker may start elsewhere).
                IsGiven = _ => true,
                Write = v => [Path.GetFullPath(v)],
            },
            new ExperimentOption<string?>(new("--name") { Description = "The folder of the report under --out (default: the experiment's name)." })
            {
                Apply = (e, v) => e with { Name = v! },
            },
            new ExperimentOption<int>(staleAfter)
            {
                // Not an override: how claims expire; always passed on to processes that claim runs.
                Valid = (v => v >= 1, "a claim must last at least 1 second"),
                IsGiven = _ => true,
                ForClaims = true,
            },
            new ExperimentOption<string?>(CommonOptions.Numerics)
            {
                // Declared once on the root command (every command has it); part of every run's identity.
                OnRoot = true,
                Apply = (e, v) => Lottery.Native.Numerics.TryParse(v!, out var profile) ? e with { Numerics = profile } : e,
            },
        ];
    }

    /// <summary>Every option, in the order of <c>--help</c>, each declared once with its effect on the experiment and its worker arguments.</summary>
    public IReadOnlyList<ExperimentOption> Table { get; }

    /// <summary>Adds the argument and options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Arguments.Add(name);
        foreach (var entry in Table.Where(e => !e.OnRoot))
        {
            command.Options.Add(entry.Option);
        }
    }

    /// <summary>The experiment's name or folder as given.</summary>
    public string Name(ParseResult parse) => parse.GetValue(name)!;

    /// <summary>Whether the name is a declared experiment's.</summary>
    public bool IsDeclared(ParseResult parse) => Host.Experiments.ContainsKey(parse.GetValue(name)!);

    /// <summary>Whether any option overrides the declaration.</summary>
    public bool HasOverrides(ParseResult parse) => Table.Any(e => e.Overrides && e.Given(parse));

    /// <summary>The results folder the command was given.</summary>
    public string Output(ParseResult parse) => parse.GetValue(output)!;

    /// <summary>How long a claim lasts without renewal.</summary>
    public TimeSpan StaleAfter(ParseResult parse) => TimeSpan.FromSeconds(parse.GetValue(staleAfter));

    /// <summary>The declared experiment with the command line's overrides, validated (its device too, with <paramref name="checkDevice"/>: a GPU this machine lacks, given or declared, stops here).</summary>
    public ExperimentDefinition Experiment(ParseResult parse, bool checkDevice = true)
    {
        var experiment = Host.Find(parse.GetValue(name)!);
        foreach (var entry in Table.Where(e => e.Overrides && e.Given(parse)))
        {
            experiment = entry.ApplyTo(experiment, parse);
        }

        experiment = experiment with { Training = CommonOptions.WithDevice(experiment.Training, device: null, checkDevice) };
        experiment.Validate();
        return experiment;
    }

    /// <summary>The experiment's name and every option given, as arguments that make another process plan the same runs (--out as an absolute path; with <paramref name="withClaims"/>, --stale-after too).</summary>
    public List<string> Arguments(ParseResult parse, bool withClaims = true) =>
        [parse.GetValue(name)!, .. Table.Where(e => (withClaims || !e.ForClaims) && e.Given(parse)).SelectMany(e => e.Arguments(parse))];

    private static string Text<T>(T value) => string.Format(CultureInfo.InvariantCulture, "{0}", value);

    /// <summary>Every arm's epochs, including those whose schedules give their own.</summary>
    private static ExperimentDefinition WithEpochs(ExperimentDefinition experiment, int epochs) => experiment with
    {
        Training = experiment.Training with { Epochs = epochs },
        Arms = experiment.Arms.Select(a => a switch
        {
            MethodArm { Method.Epochs: not null } m => new MethodArm(m.Name, m.Method with { Epochs = null }),
            MatchedArm { Method.Epochs: not null } m => new MatchedArm(m.Name, m.Method with { Epochs = null }),
            _ => a,
        }).ToList(),
    };
}

/// <summary>One option of <see cref="ExperimentOptions.Table"/>, whatever its value's type.</summary>
internal abstract class ExperimentOption
{
    /// <summary>The option as the command declares it.</summary>
    public abstract Option Option { get; }

    /// <summary>Whether it changes the declared experiment (a report of saved results is made again only without any).</summary>
    public abstract bool Overrides { get; }

    /// <summary>Declared on the root command, for every command, rather than by <see cref="ExperimentOptions.AddTo"/>.</summary>
    public bool OnRoot { get; init; }

    /// <summary>Passed on only to processes that claim runs (workers and tasks), not to a report.</summary>
    public bool ForClaims { get; init; }

    /// <summary>Whether the command line gave it (or, for one always passed on, whether it has a value).</summary>
    public abstract bool Given(ParseResult parse);

    /// <summary>The experiment with this option's value applied.</summary>
    public abstract ExperimentDefinition ApplyTo(ExperimentDefinition experiment, ParseResult parse);

    /// <summary>The option's name and value as a worker's arguments.</summary>
    public abstract IEnumerable<string> Arguments(ParseResult parse);
}

/// <summary>An option of <see cref="ExperimentOptions.Table"/> with a value of type <typeparamref name="T"/>.</summary>
internal sealed class ExperimentOption<T>(Option<T> option) : ExperimentOption
{
    private readonly (Func<T, bool> Check, string Problem)? valid;

    public override Option Option => option;

    /// <summary>A check of the value, made a parse error naming the option (<see cref="CommonOptions.Require"/>).</summary>
    public (Func<T, bool> Check, string Problem)? Valid
    {
        get => valid;
        init
        {
            valid = value;
            if (value is { } rule)
            {
                CommonOptions.Require(option, rule.Check, rule.Problem);
            }
        }
    }

    /// <summary>Whether a value counts as given (default: not null).</summary>
    public Func<T, bool> IsGiven { get; init; } = v => v is not null;

    /// <summary>How a given value changes the experiment; null for an option that does not override it.</summary>
    public Func<ExperimentDefinition, T, ExperimentDefinition>? Apply { get; init; }

    /// <summary>The value as a worker's arguments, after the option's name (default: its invariant text).</summary>
    public Func<T, IEnumerable<string>> Write { get; init; } = v => [string.Format(CultureInfo.InvariantCulture, "{0}", v)];

    public override bool Overrides => Apply is not null;

    public override bool Given(ParseResult parse) => IsGiven(parse.GetValue(option)!);

    public override ExperimentDefinition ApplyTo(ExperimentDefinition experiment, ParseResult parse) =>
        Apply is { } apply ? apply(experiment, parse.GetValue(option)!) : experiment;

    public override IEnumerable<string> Arguments(ParseResult parse) => [option.Name, .. Write(parse.GetValue(option)!)];
}
