namespace Lottery;

/// <summary>
/// Adds a control to an <see cref="ExperimentAttribute"/> experiment: an arm derived from another arm's runs, such as
/// <see cref="Experiments.RandomReinitialisation"/> (the arm's masks trained from fresh random weights). The control
/// runs right after its source arm, at the source's points. The generator checks at compile time that the type is a
/// <see cref="Experiments.ControlArm"/> with a public constructor taking the source arm's name, and that the source
/// is an arm of the experiment.
/// </summary>
/// <example><code>
/// [Experiment(typeof(LeNet300100), Schedules = new[] { "Imp" })]
/// [Control(typeof(RandomReinitialisation), Of = "Imp")]
/// public static partial class ImpWithControl;
/// </code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ControlAttribute : Attribute
{
    /// <summary>Adds a control of type <paramref name="control"/>.</summary>
    /// <param name="control">A class deriving from <see cref="Experiments.ControlArm"/>.</param>
    public ControlAttribute(Type control) => Control = control;

    /// <summary>The control's class.</summary>
    public Type Control { get; }

    /// <summary>The arm it derives from: a schedule of the experiment, by name (required).</summary>
    public string? Of { get; set; }

    /// <summary>
    /// For a control that takes an epoch (a public constructor taking the source's name and an <see cref="int"/>): the
    /// epoch, for example the one whose weights a rewinding control goes back to.
    /// </summary>
    public int Epoch { get; set; }
}
