using Lottery.Criteria;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Masks;

/// <summary>Attaching masks to a model's prunable layers: which weights, their rates, criteria and structures, checked against the model.</summary>
public sealed partial class MaskSet : IDisposable
{
    /// <summary>
    /// Finds the prunable layers of <paramref name="model"/> (Linear and Conv1d/2d/3d) and registers a mask
    /// buffer on each, or adopts the mask buffers already there (a model loaded from a ticket).
    /// </summary>
    /// <exception cref="ArgumentException">A layer named in <paramref name="options"/> is not a prunable layer of the model, or a rate is outside (0, 1).</exception>
    public static MaskSet Attach(nn.Module model, MaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new MaskOptions();
        var prunable = model.named_modules().Where(m => IsPrunableLayer(m.Item2)).ToList();
        var available = string.Join(", ", prunable.Select(m => m.Item1));

        foreach (var name in (options.Layers ?? []).Concat(options.LayerRates.Keys).Concat(options.LayerCriteria.Keys).Concat(options.LayerStructures.Keys))
        {
            if (!prunable.Any(m => m.Item1 == name))
            {
                throw new ArgumentException(
                    $"Layer '{name}' is not a prunable layer of {model.GetType().Name}. Prunable layers: {available}.",
                    nameof(options));
            }
        }

        var chosen = options.Layers is null ? prunable : prunable.Where(m => options.Layers.Contains(m.Item1)).ToList();
        if (options.Layers is null)
        {
            // Every layer was asked for: a weight no layer covers (held by a module Lottery does not know, such as a
            // TransformerEncoder stack or a parameter of the model's own) would stay dense unseen. Say so instead.
            var covered = chosen.SelectMany(m => WeightNames(m.Item2).Select(w => m.Item1.Length == 0 ? w : $"{m.Item1}.{w}")).Concat(options.Parameters).ToHashSet(StringComparer.Ordinal);
            var hidden = model.named_parameters().Where(p => p.parameter.dim() > 1 && !covered.Contains(p.name)).Select(p => p.name).ToList();
            if (hidden.Count > 0)
            {
                throw new ArgumentException(
                    $"{model.GetType().Name} has weights no prunable layer holds: {string.Join(", ", hidden)}. Name the ones to prune in MaskOptions.Parameters, or list the layers to prune in MaskOptions.Layers (the others then stay dense on purpose).",
                    nameof(options));
            }
        }

        if (chosen.Count == 0 && options.Parameters.Count == 0)
        {
            throw new ArgumentException($"{model.GetType().Name} has no Linear, Conv, ConvTranspose or Embedding layer to prune; name the weights to prune with MaskOptions.Parameters.", nameof(model));
        }

        return Attach(
            model,
            chosen.Select(m => new PrunableLayer(m.Item1, m.Item2)
            {
                Rate = options.LayerRates.TryGetValue(m.Item1, out var rate) ? rate : null,
                Criterion = options.LayerCriteria.GetValueOrDefault(m.Item1),
                PruneBias = options.PruneBiases && HasBias(m.Item2),
                Structure = options.LayerStructures.GetValueOrDefault(m.Item1),
            }).ToList(),
            options.Parameters);
    }

    /// <summary>
    /// Registers a mask buffer on each of <paramref name="layers"/> (or adopts the one already there), in the
    /// order given. This is what generated code calls: the layers come from the model's fields, not from a search.
    /// Every layer is checked before any buffer is registered, so a refused declaration leaves the model as it was.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A layer is not prunable, not registered on the model, listed twice, has a rate outside (0, 1), or asks for its
    /// bias to be pruned (<see cref="PrunableLayer.PruneBias"/>, <c>[Prunable(PruneBias = true)]</c>) but has none.
    /// </exception>
    public static MaskSet Attach(nn.Module model, IReadOnlyList<PrunableLayer> layers) => Attach(model, layers, []);

    /// <summary>
    /// As <see cref="Attach(nn.Module, IReadOnlyList{PrunableLayer})"/>, and masks <paramref name="parameters"/> too: weights
    /// named as <c>named_parameters()</c> names them, held by any module (see <see cref="MaskOptions.Parameters"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A parameter is not one of the model's, is listed twice, or is already masked as a layer's.</exception>
    public static MaskSet Attach(nn.Module model, IReadOnlyList<PrunableLayer> layers, IReadOnlyList<string> parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(parameters);
        var modelName = model.GetType().Name;
        if (layers.Count == 0 && parameters.Count == 0)
        {
            throw new ArgumentException($"No layers given to prune in {modelName}.", nameof(layers));
        }

        var registered = model.named_modules().ToList();
        var chosen = new List<(string LayerName, PrunableLayer Declared, string ParameterName, Parameter Parameter)>();
        var seen = new HashSet<(nn.Module, string?)>();
        foreach (var declared in layers)
        {
            var layer = declared.Layer ?? throw new ArgumentException(
                $"{modelName}.{declared.Member} is null: create the layer in the constructor before the masks are attached.", nameof(layers));
            if (declared.ParameterName is { } parameterName)
            {
                chosen.Add(DeclaredParameter(model, declared, parameterName, registered, seen));
                continue;
            }

            if (!IsPrunableLayer(layer))
            {
                throw new ArgumentException($"{modelName}.{declared.Member} is a {layer.GetType().Name}; Lottery prunes Linear, Conv, ConvTranspose, Embedding, MultiheadAttention and Transformer layers, and any other weight named in MaskOptions.Parameters.", nameof(layers));
            }

            CheckRate(declared.Rate, declared.Member, nameof(layers));
            CheckStructure(declared, layer, modelName);

            if (!seen.Add((layer, null)))
            {
                throw new ArgumentException($"{modelName}.{declared.Member} is listed twice.", nameof(layers));
            }

            var name = registered.FirstOrDefault(m => ReferenceEquals(m.Item2, layer)).Item1
                ?? throw new ArgumentException(
                    $"{modelName}.{declared.Member} is not registered on the model: call RegisterComponents() (or register_module) in the constructor, after creating the layers.", nameof(layers));
            var structured = declared.Structure != Structure.Unstructured;
            var weightNames = WeightNames(layer);
            var own = layer.named_parameters()
                .Where(p => weightNames.Contains(p.Item1) || ((declared.PruneBias || structured) && p.Item1 == "bias"))
                .ToList();
            if (declared.PruneBias && !own.Any(p => p.Item1 == "bias"))
            {
                throw new ArgumentException(
                    $"{modelName}.{declared.Member} declares PruneBias = true, but its layer has no bias (it was created with {(layer is Linear ? "hasBias" : "bias")}: false); remove PruneBias or give the layer a bias.",
                    nameof(layers));
            }

            chosen.AddRange(own.Select(p => (name, declared, p.Item1, p.Item2)));
        }

        var result = new List<PrunableWeight>();
        foreach (var c in chosen)
        {
            // A structured layer's bias follows its units: the weight of the same layer, attached just before it.
            var follows = c.Declared.Structure != Structure.Unstructured && c.ParameterName == "bias"
                ? result.Last(w => ReferenceEquals(w.Layer, c.Declared.Layer) && w.ParameterName == "weight")
                : null;
            result.Add(new PrunableWeight(c.LayerName, c.Declared.Layer, c.ParameterName, c.Parameter, MaskBuffer(c.Declared.Layer, c.ParameterName, c.Parameter), c.Declared.Rate, c.Declared.Criterion, c.Declared.Structure, follows));
        }

        foreach (var (owner, ownerName, parameterName, parameter) in NamedParameters(model, parameters, result))
        {
            result.Add(new PrunableWeight(ownerName, owner, parameterName, parameter, MaskBuffer(owner, parameterName, parameter), null, null));
        }

        return new MaskSet(model, result);
    }

    // Each named parameter with the module that holds it: the deepest registered module whose own parameters include the
    // rest of the name (a TransformerEncoderLayer holds "linear1.weight" itself: its layers are not modules of their own).
    private static List<(nn.Module Owner, string OwnerName, string ParameterName, Parameter Parameter)> NamedParameters(nn.Module model, IReadOnlyList<string> names, List<PrunableWeight> masked)
    {
        var modules = model.named_modules().Prepend((string.Empty, model)).ToList();
        var found = new List<(nn.Module, string, string, Parameter)>();
        foreach (var name in names)
        {
            var owner = modules
                .Where(m => m.Item1.Length == 0 || name.StartsWith(m.Item1 + ".", StringComparison.Ordinal))
                .OrderByDescending(m => m.Item1.Length)
                .Select(m => (Module: m.Item2, Name: m.Item1, Local: m.Item1.Length == 0 ? name : name[(m.Item1.Length + 1)..]))
                .Select(m => (m.Module, m.Name, m.Local, Parameter: m.Module.named_parameters(recurse: false).FirstOrDefault(p => p.name == m.Local).parameter))
                .FirstOrDefault(m => m.Parameter is not null);
            if (owner.Parameter is null)
            {
                var weights = model.named_parameters().Where(p => p.parameter.dim() > 1).Select(p => p.name);
                throw new ArgumentException($"MaskOptions.Parameters: {model.GetType().Name} has no parameter '{name}'. Its weights: {string.Join(", ", weights)}.", "options");
            }

            if (masked.Any(w => ReferenceEquals(w.Parameter, owner.Parameter) || w.Name == name) || found.Any(f => f.Item2 + (f.Item2.Length > 0 ? "." : string.Empty) + f.Item3 == name))
            {
                throw new ArgumentException($"MaskOptions.Parameters: '{name}' is masked twice (listed twice, or also a chosen layer's); give it once.", "options");
            }

            found.Add((owner.Module, owner.Name, owner.Local, owner.Parameter));
        }

        return found;
    }

    /// <summary>
    /// Gives layers their own rate or criterion on top of what they were attached with (a method's per-layer
    /// overrides); call it before the first pruning event.
    /// </summary>
    /// <exception cref="ArgumentException">An override names no masked layer, or its rate is outside (0, 1).</exception>
    public void Override(IReadOnlyList<LayerOverride> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        foreach (var layer in overrides)
        {
            var matching = weights.Where(w => w.LayerName == layer.Layer).ToList();
            if (matching.Count == 0)
            {
                throw new ArgumentException($"The method overrides layer '{layer.Layer}', which is not a masked layer of {Model.GetType().Name}. Masked layers: {string.Join(", ", weights.Select(w => w.LayerName).Distinct())}.", nameof(overrides));
            }

            CheckRate(layer.Rate, layer.Layer, nameof(overrides));

            foreach (var weight in matching)
            {
                weight.Rate = layer.Rate ?? weight.Rate;
                weight.Criterion = layer.Criterion is { } kind ? PruningCriteria.Of(kind) : weight.Criterion;
            }
        }
    }

    /// <summary>
    /// Masks one more parameter, by its full name (<c>block.conv1.weight</c>): a file saved from this model with masks its
    /// declarations do not make (masks attached by hand) brings them back. The mask starts full; its rate and criterion
    /// are the method's. A parameter that is not a layer's weight (a norm's entries, a bias) is coupled
    /// (<see cref="PrunableWeight.IsCoupled"/>): its entries go with the units of a dependency group.
    /// </summary>
    /// <exception cref="InvalidDataException">No prunable layer of the model has that parameter.</exception>
    internal PrunableWeight Include(string name, string source)
    {
        (nn.Module Owner, string OwnerName, string ParameterName, Parameter Parameter) found;
        try
        {
            found = NamedParameters(Model, [name], weights).Single();
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException(
                $"'{source}' has a mask for {name}, which {Model.GetType().Name} has no parameter of: load the file into the model class it was saved from.");
        }

        // A layer's weight counts as a declared one would; anything else (a norm's entries, a bias) is masked only to follow
        // its units, so that a file's masks come back counted as they were when the groups attached them.
        var coupled = !WeightNames(found.Owner).Contains(found.ParameterName);
        var weight = new PrunableWeight(found.OwnerName, found.Owner, found.ParameterName, found.Parameter, MaskBuffer(found.Owner, found.ParameterName, found.Parameter), null, null, coupled: coupled);
        weights.Add(weight);
        using (var noGrad = no_grad())
        {
            initialWeights[weight] = found.Parameter.detach().clone().DetachFromDisposeScope();
        }

        Holders.AddOrUpdate(found.Owner, this);
        return weight;
    }

    private static void CheckRate(double? rate, string layer, string parameter)
    {
        if (rate is { } own && !(own > 0 && own < 1))
        {
            throw new ArgumentException($"The rate {own} for {layer} is outside (0, 1): it is the fraction of the remaining weights removed at each pruning event.", parameter);
        }
    }

    // A [Prunable] Parameter: that one parameter of the module that declares it, weight by weight.
    private static (string, PrunableLayer, string, Parameter) DeclaredParameter(nn.Module model, PrunableLayer declared, string parameterName, List<(string, nn.Module)> registered, HashSet<(nn.Module, string?)> seen)
    {
        var modelName = model.GetType().Name;
        var owner = declared.Layer;
        var parameter = owner.named_parameters(recurse: false).FirstOrDefault(p => p.name == parameterName).parameter
            ?? throw new ArgumentException(
                $"{modelName}.{declared.Member} is not a parameter registered on {owner.GetType().Name}: create it in the constructor, then call RegisterComponents().", "layers");
        CheckRate(declared.Rate, declared.Member, "layers");
        if (declared.Structure != Structure.Unstructured || declared.PruneBias)
        {
            throw new ArgumentException($"{modelName}.{declared.Member} is a Parameter: it is pruned weight by weight, with no structure and no bias.", "layers");
        }

        if (!seen.Add((owner, parameterName)))
        {
            throw new ArgumentException($"{modelName}.{declared.Member} is listed twice.", "layers");
        }

        var name = ReferenceEquals(owner, model) ? string.Empty : registered.FirstOrDefault(m => ReferenceEquals(m.Item2, owner)).Item1
            ?? throw new ArgumentException($"{modelName}.{declared.Member}'s module is not registered on the model: call RegisterComponents() in the constructor.", "layers");
        return (name, declared, parameterName, parameter);
    }

    private static void CheckStructure(PrunableLayer declared, nn.Module layer, string modelName)
    {
        var fits = declared.Structure switch
        {
            Structure.Unstructured => true,
            Structure.Neurons => layer is Linear,
            Structure.Channels => layer is Conv1d or Conv2d or Conv3d,
            _ => false,
        };
        if (!fits)
        {
            throw new ArgumentException(
                $"{modelName}.{declared.Member} is a {layer.GetType().Name} declared Structure = {declared.Structure}: neurons are a Linear's output units and channels a Conv's output channels. Use {(layer is Linear ? Structure.Neurons : Structure.Channels)} (or Unstructured).",
                "layers");
        }
    }

    private static bool HasBias(nn.Module layer) => layer.named_parameters(recurse: false).Any(p => p.Item1 == "bias");

    private static Tensor MaskBuffer(nn.Module layer, string parameterName, Parameter parameter)
    {
        if (KeptInSet(parameterName))
        {
            return ones_like(parameter).DetachFromDisposeScope();
        }

        var bufferName = parameterName + MaskBufferSuffix;
        var existing = layer.named_buffers(recurse: false).FirstOrDefault(b => b.Item1 == bufferName).Item2;
        if (existing is not null)
        {
            return existing;
        }

        var mask = ones_like(parameter).DetachFromDisposeScope();
        layer.register_buffer(bufferName, mask, persistent: true);
        return mask;
    }
}
