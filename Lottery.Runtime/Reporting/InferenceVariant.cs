namespace Lottery.Reporting;

/// <summary>The form of a model the inference benchmark measures.</summary>
public enum InferenceVariant
{
    /// <summary>The trained dense model (IMP's round 0), stored as a plain state dictionary: the reference.</summary>
    Dense,

    /// <summary>A pruned model as stored: the masks with the trained weights, in Lottery's sparse file.</summary>
    Masked,

    /// <summary>The pruned model compacted: dead units and the inputs they fed removed, stored as a <c>.chain</c> file.</summary>
    Compacted,

    /// <summary>The compacted model's Linear layers on the sparse kernels, consecutive ones fused (stored as the <c>.pruned</c> file).</summary>
    Sparse,
}

/// <summary>The inference benchmark's names of the variants, as its files write them.</summary>
public static class InferenceVariants
{
    /// <summary>The variant's name in <c>inference.csv</c>, <c>inference.md</c> and the charts: dense, masked, compacted or sparse.</summary>
    public static string Name(this InferenceVariant variant) => variant switch
    {
        InferenceVariant.Dense => "dense",
        InferenceVariant.Masked => "masked",
        InferenceVariant.Compacted => "compacted",
        InferenceVariant.Sparse => "sparse",
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "Not a variant of the inference benchmark."),
    };
}
