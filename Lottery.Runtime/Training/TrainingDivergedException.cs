namespace Lottery.Training;

/// <summary>The training loss became NaN or infinite: the weights diverged and every later figure would be meaningless.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(int round, int epoch, long iteration, double loss, double learningRate)
        : base($"Training diverged in round {round}, epoch {epoch}, iteration {iteration}: the loss is {loss}. Lower the learning rate (now {learningRate}) or check the data for NaN values.")
    {
        Round = round;
        Epoch = epoch;
        Iteration = iteration;
    }

    /// <summary>The round in which the loss diverged.</summary>
    public int Round { get; }

    /// <summary>The epoch in which the loss diverged.</summary>
    public int Epoch { get; }

    /// <summary>The iteration (batch) at which the loss diverged.</summary>
    public long Iteration { get; }
}
