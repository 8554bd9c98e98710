namespace Lottery.Training;

/// <summary>Where training stands after one batch.</summary>
/// <param name="Round">The training round.</param>
/// <param name="Epoch">The epoch being trained (1-based).</param>
/// <param name="Iteration">Batches trained in this round so far, this one included.</param>
/// <param name="Loss">This batch's training loss.</param>
public readonly record struct BatchProgress(int Round, int Epoch, long Iteration, double Loss);
