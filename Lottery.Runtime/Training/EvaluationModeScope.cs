using static TorchSharp.torch;

namespace Lottery.Training;

/// <summary>Puts models in evaluation mode and, when disposed, gives every module back the mode it had.</summary>
internal sealed class EvaluationModeScope : IDisposable
{
    private readonly List<(nn.Module Module, bool Training)> modes = [];

    public EvaluationModeScope(params nn.Module[] models)
    {
        foreach (var model in models)
        {
            // A module comes before its descendants, so restoring in this order lets each child set its own mode last.
            modes.Add((model, model.training));
            modes.AddRange(model.named_modules().Select(entry => (entry.module, entry.module.training)));
        }

        foreach (var model in models)
        {
            model.eval();
        }
    }

    public void Dispose()
    {
        foreach (var (module, training) in modes)
        {
            module.train(training);
        }
    }
}
