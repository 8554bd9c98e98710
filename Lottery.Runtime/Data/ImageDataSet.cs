using static TorchSharp.torch;

namespace Lottery.Data;

/// <summary>
/// Labelled images held in memory as tensors: images <c>[N, 1, H, W]</c> as float32 in [0, 1], labels
/// <c>[N]</c> as int64. Owns its tensors.
/// </summary>
public sealed class ImageDataSet : IDisposable
{
    /// <summary>Takes ownership of <paramref name="images"/> and <paramref name="labels"/>.</summary>
    public ImageDataSet(string name, Tensor images, Tensor labels, int classCount)
    {
        if (images.shape[0] != labels.shape[0])
        {
            throw new ArgumentException($"{name}: {images.shape[0]} images but {labels.shape[0]} labels.");
        }

        Name = name;
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        ClassCount = classCount;
    }

    /// <summary>A short name for reports (for example <c>mnist-digits/train</c>).</summary>
    public string Name { get; }

    /// <summary>The images, <c>[N, 1, H, W]</c>, float32 in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>The class of each image, <c>[N]</c>, int64.</summary>
    public Tensor Labels { get; }

    /// <summary>The number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The number of images.</summary>
    public long Count => Images.shape[0];

    /// <summary>A new data set holding the images at <paramref name="indices"/> (copies).</summary>
    public ImageDataSet Subset(Tensor indices, string name)
    {
        using var scope = NewDisposeScope();
        return new ImageDataSet(name, Images.index_select(0, indices), Labels.index_select(0, indices), ClassCount);
    }

    /// <summary>Builds a data set from IDX image and label arrays, checking that they match.</summary>
    /// <exception cref="DataSetException">The arrays have the wrong rank, different counts, or a label out of range.</exception>
    public static ImageDataSet FromIdx(string name, IdxArray images, string imagesSource, IdxArray labels, string labelsSource, int classCount = 10)
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
        return new ImageDataSet(name, imageTensor, labelTensor, classCount);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
