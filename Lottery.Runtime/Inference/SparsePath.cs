namespace Lottery.Inference;

/// <summary>Which kernel a sparse layer runs its forward pass with.</summary>
public enum SparsePath
{
    /// <summary>
    /// Times both kernels on the first call of each batch-size bucket (1, 2-8, 9-64, 65 and more) with that call's
    /// input, and keeps the faster for later calls in the bucket.
    /// </summary>
    Auto,

    /// <summary>Always the managed CSR kernel, which skips the pruned weights.</summary>
    Sparse,

    /// <summary>Always LibTorch's dense <c>linear</c> with the masked weight, zeros included.</summary>
    Dense,
}
