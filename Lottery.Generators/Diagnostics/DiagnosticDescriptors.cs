using Microsoft.CodeAnalysis;

namespace Lottery.Generators.Diagnostics;

/// <summary>
/// Every diagnostic Lottery's generator reports: id, title, message, severity and help. The ids are tracked in
/// AnalyzerReleases.Shipped.md and AnalyzerReleases.Unshipped.md; docs/diagnostics.md explains each.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Lottery";

    public static readonly DiagnosticDescriptor NotPartial = Error(
        "LTH0001",
        "The type must be partial",
        "'{0}' must be declared partial so that Lottery can add its pruning code; add the partial keyword to every declaration of it",
        "Lottery adds generated members to the declared type, which C# allows only for partial types (and partial containing types).");

    public static readonly DiagnosticDescriptor NotAModule = Error(
        "LTH0002",
        "The type is not a TorchSharp module",
        "'{0}' has pruning declarations but does not derive from TorchSharp.torch.nn.Module; derive it from nn.Module<Tensor, Tensor>",
        "Only TorchSharp modules have layers and parameters to prune.");

    public static readonly DiagnosticDescriptor NotAPrunableLayer = Error(
        "LTH0003",
        "The member is not a prunable layer",
        "[Prunable] member '{0}' has type '{1}', which is not a prunable layer; mark Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d, Embedding, MultiheadAttention, TransformerEncoderLayer, TransformerDecoderLayer, Lottery.Layers.EncoderLayer or SelfAttention, or Parameter members, or name other weights with MaskOptions.Parameters",
        "Lottery prunes, by declaration, the weights of Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d and Embedding layers, the projections of MultiheadAttention, TransformerEncoderLayer, TransformerDecoderLayer and Lottery's EncoderLayer and SelfAttention (and the feed-forward weights), and any Parameter member; any other weight by its name in named_parameters().");

    public static readonly DiagnosticDescriptor StaticMember = Error(
        "LTH0004",
        "The prunable member is static",
        "[Prunable] member '{0}' is static; a layer must belong to a model instance, so make it an instance field or property",
        "Masks are registered on a model instance's layers.");

    public static readonly DiagnosticDescriptor RateOutOfRange = Error(
        "LTH0005",
        "The rate is outside (0, 1)",
        "Rate {0} is outside (0, 1): it is the fraction of the remaining weights removed at each pruning event; give for example 0.2",
        "A rate of 0 never prunes and a rate of 1 removes every weight.");

    public static readonly DiagnosticDescriptor FractionOutOfRange = Error(
        "LTH0006",
        "The target or sparsity is outside its range",
        "{0} {1} is outside {2}: {3}",
        "TargetRemaining is the fraction of the prunable weights left at the end, in (0, 1]; Gradual's InitialSparsity is in [0, 1 - TargetRemaining).");

    public static readonly DiagnosticDescriptor InvalidEpoch = Error(
        "LTH0007",
        "The epochs are negative or inverted",
        "{0}",
        "Epochs count from 1 (pruning happens after an epoch ends); the end epoch cannot come before the start epoch; RewindEpoch is 0 (initialisation) or later.");

    public static readonly DiagnosticDescriptor RoundsBelowOne = Error(
        "LTH0008",
        "Rounds below 1",
        "Rounds is {0}; an Iterative schedule needs at least 1 pruning round",
        "Each round trains fully, then prunes and rewinds.");

    public static readonly DiagnosticDescriptor TargetNotReached = Warning(
        "LTH0009",
        "The schedule cannot reach its target",
        "Schedule '{0}' stops at {1} of the weights, not at its target of {2}: {3}",
        "The schedule runs out of pruning events before it reaches TargetRemaining; raise the rate, the rounds or the epochs, or lower the target.");

    public static readonly DiagnosticDescriptor ScheduleWithoutLayers = Error(
        "LTH0010",
        "[PruneSchedule] on a model with no [Prunable] member",
        "'{0}' declares a pruning schedule but no [Prunable] layer; mark the layers to prune with [Prunable]",
        "A schedule needs layers to prune.");

    public static readonly DiagnosticDescriptor Duplicate = Error(
        "LTH0011",
        "Duplicate declaration",
        "{0}",
        "Each schedule, layer accessor and experiment entry must be declared once.");

    public static readonly DiagnosticDescriptor DoesNotApply = Error(
        "LTH0012",
        "The argument does not apply",
        "{0} does not apply to {1}; remove it",
        "A value that would be silently ignored is an error, so that every declared value takes effect.");

    public static readonly DiagnosticDescriptor MissingArgument = Error(
        "LTH0013",
        "A required argument is missing",
        "{0} needs {1}",
        "EveryEpoch, OneShot and AtInit need TargetRemaining; Gradual needs TargetRemaining, StartEpoch and EndEpoch; Iterative needs Rounds or TargetRemaining; Rewind = RewindKind.ToEpoch needs RewindEpoch. None of them has a default.");

    public static readonly DiagnosticDescriptor ModelWithoutPruning = Error(
        "LTH0014",
        "The experiment's model has no pruning declarations",
        "The experiment's model '{0}' has no [PruneSchedule] declaration; declare how it is pruned with [PruneSchedule] and [Prunable]",
        "An experiment compares a model's declared schedules.");

    public static readonly DiagnosticDescriptor UnknownDataSet = Error(
        "LTH0015",
        "Unknown data set",
        "Unknown data set '{0}'; known data sets: {1}",
        "Data sets are loaded by name at run time.");

    public static readonly DiagnosticDescriptor UnknownSchedule = Error(
        "LTH0016",
        "Unknown schedule",
        "'{0}' declares no schedule named '{1}'; its schedules: {2}",
        "An experiment's Schedules name schedules declared on its model with [PruneSchedule].");

    public static readonly DiagnosticDescriptor ModelCannotBeCreated = Error(
        "LTH0017",
        "The experiment cannot create its model",
        "The experiment cannot use '{0}': {1}",
        "An experiment creates a fresh model for every run with a constructor that takes no arguments (optional ones are fine); the model takes and returns a Tensor.");

    public static readonly DiagnosticDescriptor NameClash = Error(
        "LTH0018",
        "A generated member name is taken",
        "'{0}' already has a member named '{1}', which Lottery generates {2}; rename the member",
        "Lottery generates members with fixed names and, for each [Prunable] layer, <Layer>Mask and <Layer>Sparsity.");

    public static readonly DiagnosticDescriptor InvalidExperimentValue = Error(
        "LTH0019",
        "Invalid experiment setting",
        "{0}",
        "Epochs and BatchSize are at least 1, LearningRate is positive, Validation is not negative, and an experiment has at least one seed and one arm.");

    public static readonly DiagnosticDescriptor UnreadableMember = Error(
        "LTH0020",
        "The prunable member cannot be read",
        "[Prunable] member '{0}' {1}; mark a field or a property with a getter",
        "Generated code reads the layer from the member.");

    public static readonly DiagnosticDescriptor InvalidScheduleName = Error(
        "LTH0021",
        "Invalid schedule name",
        "Schedule name '{0}' {1}",
        "Each schedule becomes a property of the generated PruneSchedules class, so its name must be a C# identifier other than Default and All.");

    public static readonly DiagnosticDescriptor UndefinedEnumValue = Error(
        "LTH0022",
        "Undefined enum value",
        "{0} is {1}, which is not a defined {2} value",
        "Use one of the enum's named values.");

    public static readonly DiagnosticDescriptor PrunedBiasMissing = Error(
        "LTH0023",
        "PruneBias on a layer without a bias",
        "[Prunable] member '{0}' declares PruneBias = true, but its layer is created with {1}; remove PruneBias or give the layer a bias",
        "A layer created without a bias has no bias to prune; AttachMasks() would refuse it at run time.");

    public static readonly DiagnosticDescriptor StructureDoesNotFit = Error(
        "LTH0024",
        "Structure does not fit the layer",
        "[Prunable] member '{0}' is a {1} declared Structure = {2}; neurons are a Linear's output units and channels a Conv's output channels: use Structure = {3}",
        "Neuron pruning removes rows of a Linear's weight, channel pruning the filters of a Conv; each fits one kind of layer.");

    public static readonly DiagnosticDescriptor InvalidChain = Error(
        "LTH0025",
        "Invalid chain",
        "[Chain] on '{0}' {1}",
        "A declared chain lists, in order, the members holding the modules forward applies; compaction and the generated forward follow it.");

    public static readonly DiagnosticDescriptor StructuredOutputLayer = Warning(
        "LTH0026",
        "The chain's output layer is structured",
        "The output layer of '{0}''s chain, '{1}', is declared Structure = {2}: pruning its units removes the model's outputs (classes); declare it unstructured",
        "Compaction never removes a model's outputs, but structured pruning of the output layer zeroes whole outputs.");

    public static readonly DiagnosticDescriptor InvalidDevice = Error(
        "LTH0027",
        "Invalid device",
        "Device '{0}' is not a device; give {1}",
        "An experiment trains on cpu (the default), cuda (the current GPU) or cuda:N (GPU N); a GPU also needs TorchSharp's CUDA package, which is checked when the experiment runs.");

    public static readonly DiagnosticDescriptor InvalidEquivalenceMargin = Error(
        "LTH0028",
        "Invalid equivalence margin",
        "EquivalenceMargin is {0}; give the largest difference in test accuracy that does not matter, in percentage points above 0 and below 100, for example 0.5",
        "The report tests each arm against MatchTo for equivalence within ± the margin (two one-sided t-tests); a margin of 0 or less, or NaN, can never be met, and 100 points or more always is.");

    public static readonly DiagnosticDescriptor CriterionNeedsTraining = Error(
        "LTH0029",
        "The criterion needs training before it can score",
        "{0} needs training before it can score ({1}), but schedule '{2}' prunes before any training (AtInit or DynamicSparse); use Snip, SynFlow, Magnitude or Random, or a schedule that prunes after training",
        "LeastChange, MagnitudeIncrease and Movement rank weights by what training did to them; pruning at initialisation would rank equal scores, which is no choice at all.");

    public static readonly DiagnosticDescriptor ScoringBatchSizeBelowOne = Error(
        "LTH0030",
        "The scoring batch is empty",
        "ScoringBatchSize is {0}; the criterion scores on a batch of training data, so give at least 1 example, for example 100",
        "A criterion that scores on data (Snip) draws one batch of ScoringBatchSize training examples at each pruning event.");

    public static readonly DiagnosticDescriptor UpdateEveryBelowOne = Error(
        "LTH0031",
        "Invalid mask update interval",
        "UpdateEvery is {0}; a DynamicSparse schedule updates its mask every so many batches, so give at least 1, for example 100 (RigL's)",
        "Dynamic sparse training drops and regrows connections every UpdateEvery training batches.");

    public static readonly DiagnosticDescriptor RegrowthOnStructuredLayer = Error(
        "LTH0032",
        "Dynamic sparse training on a structured layer",
        "Schedule '{0}' is DynamicSparse, which drops and regrows single connections, but layer '{1}' is pruned by {2}; prune '{1}' Unstructured, or give the model another schedule kind",
        "SET and RigL move single weights between pruned and kept at a constant density; a layer pruned by whole neurons or channels has no single connections to regrow.");

    public static readonly DiagnosticDescriptor InvalidNumerics = Error(
        "LTH0033",
        "Invalid numerics profile",
        "Numerics '{0}' is not a numerics profile; give {1}",
        "An experiment computes with the portable profile (LibTorch's kernels pinned to AVX2: the same figures on any x86-64 CPU with AVX2) unless it declares native (the fastest kernels of the machine at hand).");

    public static readonly DiagnosticDescriptor InvalidCriterionName = Error(
        "LTH0034",
        "Invalid criterion name",
        "{0}",
        "CriterionName names a criterion of your own, registered with PruningCriteria.Register before the experiment runs; Criterion names a built-in one.");

    public static readonly DiagnosticDescriptor UnreachedLayers = Warning(
        "LTH0035",
        "No model holds the class's [Prunable] layers",
        "'{0}' declares [Prunable] layers but no [PruneSchedule], and nothing in this project holds or creates a {0}; its layers are masked only when a model that holds one attaches its masks",
        "A block's [Prunable] layers are masked by the model that holds the block (a field, a Sequential, a ModuleList or ModuleDict entry). A class that declares layers, has no schedule and is neither held by a field nor created anywhere in the project is likely a block that was never put into a model.");

    /// <summary>Every descriptor, by id.</summary>
    public static readonly IReadOnlyDictionary<string, DiagnosticDescriptor> ById = new[]
    {
        NotPartial, NotAModule, NotAPrunableLayer, StaticMember, RateOutOfRange, FractionOutOfRange, InvalidEpoch,
        RoundsBelowOne, TargetNotReached, ScheduleWithoutLayers, Duplicate, DoesNotApply, MissingArgument,
        ModelWithoutPruning, UnknownDataSet, UnknownSchedule, ModelCannotBeCreated, NameClash,
        InvalidExperimentValue, UnreadableMember, InvalidScheduleName, UndefinedEnumValue, PrunedBiasMissing,
        StructureDoesNotFit, InvalidChain, StructuredOutputLayer, InvalidDevice,
        InvalidEquivalenceMargin, CriterionNeedsTraining, ScoringBatchSizeBelowOne, UpdateEveryBelowOne,
        RegrowthOnStructuredLayer, InvalidNumerics, InvalidCriterionName, UnreachedLayers,
    }.ToDictionary(d => d.Id);

    /// <summary>Where each diagnostic is explained: a section per id, relative to the repository's root (no site hosts it).</summary>
    public const string HelpFile = "docs/diagnostics.md";

    private static DiagnosticDescriptor Error(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description, HelpLink(id));

    private static DiagnosticDescriptor Warning(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpLink(id));

    private static string HelpLink(string id) => $"{HelpFile}#{id.ToLowerInvariant()}";
}
