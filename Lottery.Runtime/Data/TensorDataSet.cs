using static TorchSharp.torch;

namespace Lottery.Data;

/// <summary>
/// Labelled examples held in memory as tensors: inputs <c>[N, ...]</c> of any shape (images <c>[N, 1, H, W]</c>
/// in [0, 1], tabular features <c>[N, F]</c>) as float32, class labels <c>[N]</c> as int64. Owns its tensors.
/// </summary>
public sealed class TensorDataSet : IDisposable
{
    /// <summary>Takes ownership of <paramref name="inputs"/> and <paramref name="labels"/>.</summary>
    public TensorDataSet(string name, Tensor inputs, Tensor labels, int classCount)
    {
        if (inputs.shape[0] != labels.shape[0])
        {
            throw new ArgumentException($"{name}: {inputs.shape[0]} inputs but {labels.shape[0]} labels.");
        }

        Name = name;
        Inputs = inputs.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        ClassCount = classCount;
    }

    /// <summary>A short name for reports (for example <c>mnist-digits/train</c>).</summary>
    public string Name { get; }

    /// <summary>The inputs, <c>[N, ...]</c>, float32: what the model's forward receives, a batch at a time.</summary>
    public Tensor Inputs { get; }

    /// <summary>The class of each image, <c>[N]</c>, int64.</summary>
    public Tensor Labels { get; }

    /// <summary>The number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The number of examples.</summary>
    public long Count => Inputs.shape[0];

    /// <summary>A new data set holding the examples at <paramref name="indices"/> (copies).</summary>
    public TensorDataSet Subset(Tensor indices, string name)
    {
        using var scope = NewDisposeScope();
        return new TensorDataSet(name, Inputs.index_select(0, indices), Labels.index_select(0, indices), ClassCount);
    }

    /// <summary>Builds a data set from IDX image and label arrays, checking that they match.</summary>
    /// <exception cref="DataSetException">The arrays have the wrong rank, different counts, or a label out of range.</exception>
    public static TensorDataSet FromIdx(string name, IdxArray images, string imagesSource, IdxArray labels, string labelsSource, int classCount = 10)
    {
        if (images.Dimensions.Length != 3)
        {
            throw new DataSetException(imagesSource, $"expected an image file with 3 dimensions (count x rows x columns), found {images.Dimensions.Length}. Are the image and label files swapped?");
        }

        if (labels.Dimensions.Length != 1)
        {
            throw new DataSetException(labelsSource, $"expected a label file with 1 dimension, found {labels.Dimensions.Length}. Are the image and label files swapped?");
        }

        if (images.Count != labels.Count)
        {
            throw new DataSetException(labelsSource, $"holds {labels.Count} labels but {imagesSource} holds {images.Count} images; the two files must come from the same set.");
        }

        var largest = labels.Data.Length == 0 ? 0 : labels.Data.Max();
        if (largest >= classCount)
        {
            throw new DataSetException(labelsSource, $"holds label {largest}, outside the {classCount} classes 0..{classCount - 1}.");
        }

        using var scope = NewDisposeScope();
        var imageTensor = tensor(images.Data, [images.Dimensions[0], 1, images.Dimensions[1], images.Dimensions[2]], ScalarType.Byte)
            .to(ScalarType.Float32).div_(255f);
        var labelTensor = tensor(labels.Data, [labels.Dimensions[0]], ScalarType.Byte).to(ScalarType.Int64);
        return new TensorDataSet(name, imageTensor, labelTensor, classCount);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}
