using Lottery.Results;

namespace Lottery.Experiments;

/// <summary>How one worker takes part in an experiment whose runs many workers share.</summary>
public sealed record WorkerOptions
{
    /// <summary>How runs are claimed: the owner's label and how long a claim lasts without renewal.</summary>
    public ClaimSettings Claims { get; init; } = new();

    /// <summary>
    /// The runs this worker may train, as indices into the experiment's plan (<see cref="ExperimentPlan.Create"/>),
    /// or null for every run. Other runs are read back once finished and waited for while another worker holds them.
    /// </summary>
    public IReadOnlySet<int>? Assigned { get; init; }

    /// <summary>How often a worker with nothing to train looks again for runs other workers have finished or left.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>What one worker did.</summary>
/// <param name="Trained">Runs it trained (resumed ones included).</param>
/// <param name="ReadBack">Runs it found finished.</param>
public sealed record WorkerReport(int Trained, int ReadBack);
