using Lottery.Examples.Models;
using Lottery.Experiments;

namespace Lottery.Examples.Experiments;

/// <summary>
/// A user's own schedule in an experiment, small enough to run in a minute: SmallMlp's GlobalLateRewind matched to
/// its IMP's rounds 1 and 2, IMP's random re-initialisation control, and the rewind-once controls of the one-run
/// masks (are they tickets?), to initialisation and to the run's weights after epoch 1. `lottery run own-schedule`.
/// </summary>
[Experiment(
    typeof(SmallMlp),
    Name = "own-schedule",
    DataSet = "mnist-digits",
    Epochs = 4,
    Seeds = new[] { 1, 2 },
    Validation = 1000,
    MatchTo = "Imp",
    Points = new[] { 1, 2 })]
[Control(typeof(RandomReinitialisation), Of = "Imp")]
[Control(typeof(RewindOnce), Of = "GlobalLateRewind")]
[Control(typeof(RewindOnce), Of = "GlobalLateRewind", Epoch = 1)]
public static partial class OwnScheduleExperiment;
