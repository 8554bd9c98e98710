using Lottery.Generators.Vocabulary;

namespace Lottery.Generators.Parsing;

/// <summary>
/// Names the generator recognises in Lottery.Runtime and TorchSharp. The generator never references either
/// assembly: the runtime's enums are compiled into it from their one source file each (Lottery.Generators.Vocabulary),
/// and attribute arguments, which arrive as values, are named by them.
/// </summary>
internal static class KnownNames
{
    public const string PrunableAttribute = "Lottery.PrunableAttribute";
    public const string PruneScheduleAttribute = "Lottery.PruneScheduleAttribute";
    public const string ExperimentAttribute = "Lottery.ExperimentAttribute";
    public const string ChainAttribute = "Lottery.ChainAttribute";
    public const string Flatten = "TorchSharp.Modules.Flatten";
    public const string ControlAttribute = "Lottery.ControlAttribute";
    public const string ControlArm = "Lottery.Experiments.ControlArm";
    public const string DataSourceInterface = "Lottery.Data.IDataSource";
    public const string LossInterface = "Lottery.Training.ILossFunction";

    public const string Module = "TorchSharp.torch.nn.Module";

    /// <summary>TorchSharp's module containers: what they hold is known only when the model runs.</summary>
    public static readonly string[] Containers = ["TorchSharp.Modules.Sequential", "TorchSharp.Modules.ModuleList<T>", "TorchSharp.Modules.ModuleDict<T>"];
    public const string TensorModule = "TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>";

    /// <summary>The prunable layer types, by full name, with the short name the generated code uses.</summary>
    public static readonly IReadOnlyDictionary<string, string> Layers = new Dictionary<string, string>
    {
        ["TorchSharp.Modules.Linear"] = "Linear",
        ["TorchSharp.Modules.Conv1d"] = "Conv1d",
        ["TorchSharp.Modules.Conv2d"] = "Conv2d",
        ["TorchSharp.Modules.Conv3d"] = "Conv3d",
        ["TorchSharp.Modules.ConvTranspose1d"] = "ConvTranspose1d",
        ["TorchSharp.Modules.ConvTranspose2d"] = "ConvTranspose2d",
        ["TorchSharp.Modules.ConvTranspose3d"] = "ConvTranspose3d",
        ["TorchSharp.Modules.Embedding"] = "Embedding",
        ["TorchSharp.Modules.MultiheadAttention"] = "MultiheadAttention",
        ["TorchSharp.Modules.TransformerEncoderLayer"] = "TransformerEncoderLayer",
        ["TorchSharp.Modules.TransformerDecoderLayer"] = "TransformerDecoderLayer",
        ["Lottery.Layers.EncoderLayer"] = "EncoderLayer",
        ["Lottery.Layers.SelfAttention"] = "SelfAttention",
        ["TorchSharp.Modules.Parameter"] = ParameterType,
    };

    /// <summary>The short name of a weight held as a <c>Parameter</c> field (a learned embedding, a position table).</summary>
    public const string ParameterType = "Parameter";

    /// <summary>The layers whose mask covers several weights (attention projections, feed-forward), none named <c>weight</c>.</summary>
    public static readonly string[] ManyWeightLayers = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "EncoderLayer", "SelfAttention"];

    /// <summary>The layers whose units can be pruned whole: a Linear's neurons, a Conv's output channels.</summary>
    public static readonly string[] StructuredLayers = ["Linear", "Conv1d", "Conv2d", "Conv3d"];

    /// <summary>Lottery.ScheduleKind, in value order.</summary>
    public static readonly string[] ScheduleKinds = Enum.GetNames(typeof(ScheduleKind));

    /// <summary>Lottery.RegrowthKind, in value order.</summary>
    public static readonly string[] RegrowthKinds = Enum.GetNames(typeof(RegrowthKind));

    /// <summary>Lottery.CriterionKind, in value order.</summary>
    public static readonly string[] CriterionKinds = Enum.GetNames(typeof(CriterionKind));

    /// <summary>The Structure enum's members, in value order (Unstructured = 0).</summary>
    public static readonly string[] Structures = Enum.GetNames(typeof(Structure));

    /// <summary>Lottery.Masks.PruningScope, in value order.</summary>
    public static readonly string[] Scopes = Enum.GetNames(typeof(PruningScope));

    /// <summary>Lottery.Schedules.RewindKind, in value order.</summary>
    public static readonly string[] RewindKinds = Enum.GetNames(typeof(RewindKind));

    /// <summary>Lottery.Training.OptimizerKind, in value order.</summary>
    public static readonly string[] OptimizerKinds = Enum.GetNames(typeof(OptimizerKind));

    /// <summary>Lottery.Training.SparseTraining, in value order.</summary>
    public static readonly string[] SparseTrainingKinds = Enum.GetNames(typeof(SparseTraining));

    /// <summary>Lottery.Data.DataSets.Known.</summary>
    public static readonly string[] DataSets = ["mnist-digits", "fashion-mnist"];

    /// <summary>Members every generated model has (the layer accessors come on top).</summary>
    public static readonly string[] GeneratedModelMembers =
        ["Masks", "AttachMasks", "AttachedMasks", "PrunableLayers", "WeightsRemaining", "LoadTicket", "SavePrunedModel", "LoadPrunedModel", "SavePlainModel", "PruneSchedules", "CreateRun"];

    /// <summary>Members a model with a [Chain] gets on top (and <c>forward</c> when it writes none).</summary>
    public static readonly string[] GeneratedChainMembers = ["ToSequential", "ChainInputShape", "Compact"];

    /// <summary>Members every generated experiment has.</summary>
    public static readonly string[] GeneratedExperimentMembers = ["Definition", "Run"];

    /// <summary>Names a schedule cannot take: the generated PruneSchedules class already has them.</summary>
    public static readonly string[] ReservedScheduleNames = ["Default", "All"];
}
