using Lottery.Masks;
using Lottery.Training;

namespace Lottery.Runs;

/// <summary>The run's two artifacts: its ticket and its pruned model.</summary>
public sealed partial class PruningRun : IDisposable
{
    /// <summary>
    /// Saves the ticket: the current masks together with the weights training starts from (the rewind point:
    /// initialisation, or epoch k for late rewinding), in Lottery's sparse file (<see cref="Ticket"/>), so that
    /// <c>LoadTicket</c> on a fresh model restores it. The run's model is left as it was.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run is dense: it has no masks.</exception>
    public void SaveTicket(string path)
    {
        var masks = Masks ?? throw new InvalidOperationException("A dense run has no ticket: it has no masks.");
        var start = rewinding.TicketStart;
        using var current = WeightSnapshot.Take(Model);
        try
        {
            start.RestoreInto(Model);
            Ticket.Save(Model, masks, path);
        }
        finally
        {
            current.RestoreInto(Model);
        }
    }

    /// <summary>
    /// Saves the pruned model: the current masks with the weights as trained so far, in Lottery's sparse file
    /// (<see cref="PrunedModel"/>); <c>LoadPrunedModel</c> on a fresh model restores it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run is dense: it has no masks.</exception>
    public void SavePrunedModel(string path) =>
        PrunedModel.Save(Model, Masks ?? throw new InvalidOperationException("A dense run has no pruned model: it has no masks. Save the model with Model.save."), path);
}
