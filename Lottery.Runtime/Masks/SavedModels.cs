using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>
/// Loads a ticket or pruned-model file into a fresh instance of the model class it was saved from, found among the
/// process's loaded assemblies by the full name the file records: a program measures or converts a saved model without
/// naming its class.
/// </summary>
public static class SavedModels
{
    /// <summary>A fresh instance of the pruned (or compacted) model's class with its masks and trained weights loaded.</summary>
    /// <exception cref="InvalidDataException">The file is a ticket, not a pruned model, or it is damaged.</exception>
    /// <exception cref="InvalidOperationException">The class the file names is not loaded, or cannot be created without arguments.</exception>
    public static nn.Module<Tensor, Tensor> LoadPrunedModel(string file)
    {
        if (ArtifactInfo.ReadHeader(file).Kind == ArtifactKind.Ticket)
        {
            throw new InvalidDataException($"'{file}' is a ticket (masks with the weights training starts from), not a pruned model: compact or measure the run's .pruned file instead.");
        }

        return Load(file).Model;
    }

    /// <summary>A fresh instance of the model class a ticket, pruned-model or compacted-model file was saved from (resized to a compacted model's sizes), with the file's masks and weights loaded, and which the file held.</summary>
    /// <exception cref="InvalidDataException">The file is not a sparse file, or it is damaged.</exception>
    /// <exception cref="InvalidOperationException">The class the file names is not loaded, or cannot be created without arguments.</exception>
    public static (nn.Module<Tensor, Tensor> Model, ArtifactKind Kind) Load(string file)
    {
        var (kind, modelType) = ArtifactInfo.ReadHeader(file);
        var model = Create(modelType, file);
        try
        {
            var masks = ((IPrunableModel)model).AttachMasks();
            if (kind == ArtifactKind.Ticket)
            {
                Ticket.Load(model, masks, file);
            }
            else if (kind == ArtifactKind.CompactedModel)
            {
                CompactedModel.Load(model, file, masks);
            }
            else
            {
                PrunedModel.Load(model, file, masks);
            }

            return (model, kind);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model class <paramref name="typeName"/> (named by <paramref name="source"/>, for the messages), created with its parameterless constructor.</summary>
    /// <exception cref="InvalidOperationException">No loaded assembly has the class, it is not a [Prunable] model, or its constructor failed.</exception>
    public static nn.Module<Tensor, Tensor> Create(string typeName, string source)
    {
        var type = AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => a.GetType(typeName, throwOnError: false))
            .FirstOrDefault(t => t is not null)
            ?? throw new InvalidOperationException($"'{source}' was saved from {typeName}, a class this program does not have. Load it in your own program with the class's LoadPrunedModel.");
        var constructor = type.GetConstructors().FirstOrDefault(c => c.GetParameters().All(p => p.HasDefaultValue));
        if (!typeof(IPrunableModel).IsAssignableFrom(type) || !typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(type) || constructor is null)
        {
            throw new InvalidOperationException($"{typeName} (from '{source}') is not a [Prunable] model that can be created without arguments.");
        }

        try
        {
            return (nn.Module<Tensor, Tensor>)constructor.Invoke(constructor.GetParameters().Select(p => p.DefaultValue).ToArray());
        }
        catch (System.Reflection.TargetInvocationException error) when (error.InnerException is not null)
        {
            throw new InvalidOperationException($"{typeName}'s constructor failed: {error.InnerException.Message}", error.InnerException);
        }
    }
}
