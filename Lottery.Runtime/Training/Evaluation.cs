namespace Lottery.Training;

/// <summary>Loss and accuracy of a model on one data set.</summary>
/// <param name="Loss">Mean cross-entropy loss.</param>
/// <param name="Accuracy">Fraction classified correctly.</param>
public readonly record struct Evaluation(double Loss, double Accuracy)
{
    /// <summary>No evaluation (an empty data set).</summary>
    public static Evaluation None => new(double.NaN, double.NaN);
}
