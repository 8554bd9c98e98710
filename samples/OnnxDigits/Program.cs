// Classifies handwritten digits with a pruned model that `lottery export` wrote, through ONNX Runtime alone: the
// application code a .NET user writes to deploy a model, with no TorchSharp and no Lottery.
//
//   dotnet run --project samples/OnnxDigits -- <model.onnx> [<images idx(.gz)> <labels idx(.gz)>]
//
// Without images and labels it classifies the 2,000 test digits embedded in it. It prints a short report whose
// "accuracy:" line keeps one format (the repository's tests read it); any bad input is one line on stderr and exit
// code 1.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Microsoft.ML.OnnxRuntime;

const int BatchSize = 256;

// The report reads the same on every machine (and the tests parse it).
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length is not (1 or 3))
{
    Console.Error.WriteLine("usage: OnnxDigits <model.onnx> [<images idx(.gz)> <labels idx(.gz)>]");
    return 1;
}

try
{
    Classify(args[0], args.Length == 3 ? args[1] : null, args.Length == 3 ? args[2] : null);
    return 0;
}
catch (InputException error)
{
    Console.Error.WriteLine($"error: {error.Message}");
    return 1;
}
catch (Exception error) when (error is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {error.Message}");
    return 1;
}

static void Classify(string modelPath, string? imagesPath, string? labelsPath)
{
    if (!File.Exists(modelPath))
    {
        throw new InputException($"{modelPath}: no such file. Give the path of an .onnx file, such as the one `lottery export <run> --to model.onnx` writes.");
    }

    var images = imagesPath is null ? Idx.ReadEmbedded("t10k-images-idx3-ubyte.gz", "the embedded test digits") : Idx.ReadFile(imagesPath);
    var labels = labelsPath is null ? Idx.ReadEmbedded("t10k-labels-idx1-ubyte.gz", "the embedded test labels") : Idx.ReadFile(labelsPath);
    if (images.Dimensions.Length != 3)
    {
        throw new InputException($"{images.Source}: expected images (count x rows x columns), found {images.Dimensions.Length} dimensions. Are the image and label files swapped?");
    }

    if (labels.Dimensions.Length != 1)
    {
        throw new InputException($"{labels.Source}: expected labels (one dimension), found {labels.Dimensions.Length} dimensions. Are the image and label files swapped?");
    }

    var count = images.Dimensions[0];
    if (count == 0)
    {
        throw new InputException($"{images.Source}: holds no images. Give a file with at least one.");
    }

    if (labels.Dimensions[0] != count)
    {
        throw new InputException($"{labels.Source}: holds {labels.Dimensions[0]:N0} labels but {images.Source} holds {count:N0} images. Give the labels of the same images.");
    }

    using var session = Open(modelPath);

    // The model's one input: [batch, ...one image's shape], the batch dimension free (-1).
    var (inputName, input) = session.InputMetadata.First();
    var outputName = session.OutputMetadata.Keys.First();
    var shape = input.Dimensions;
    if (input.ElementType != typeof(float) || shape.Length < 2 || shape[0] > 0 || shape.Skip(1).Any(d => d <= 0))
    {
        throw new InputException($"{modelPath}: its input '{inputName}' is {input.ElementType.Name} [{string.Join(", ", shape)}]; this program needs float [batch, ...] with a free batch dimension and a fixed size for the rest, as `lottery export` writes.");
    }

    var pixels = images.Dimensions[1] * images.Dimensions[2];
    var perImage = shape.Skip(1).Aggregate(1, (product, d) => product * d);
    if (pixels != perImage)
    {
        throw new InputException($"{images.Source}: its images are {images.Dimensions[1]}x{images.Dimensions[2]} ({pixels:N0} values) but the model {modelPath} takes [{string.Join(", ", shape.Skip(1))}] ({perImage:N0} values) for each. Give images of the size the model was trained on.");
    }

    var predictions = new int[count];
    var classes = 0;
    var clock = Stopwatch.StartNew();
    using var runOptions = new RunOptions();
    for (var start = 0; start < count; start += BatchSize)
    {
        var size = Math.Min(BatchSize, count - start);

        // Pixels scaled to [0, 1], as the model saw them in training.
        var batch = new float[size * perImage];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = images.Data[(start * perImage) + i] / 255f;
        }

        using var value = OrtValue.CreateTensorValueFromMemory(batch, [size, .. shape.Skip(1).Select(d => (long)d)]);
        using var outputs = Run(session, runOptions, inputName, value, outputName, modelPath);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        classes = logits.Length / size;
        for (var i = 0; i < size; i++)
        {
            predictions[start + i] = ArgMax(logits.Slice(i * classes, classes));
        }
    }

    clock.Stop();
    var largestLabel = labels.Data.Max();
    if (largestLabel >= classes)
    {
        throw new InputException($"{labels.Source}: holds label {largestLabel}, but {modelPath} outputs {classes} classes (0 to {classes - 1}). Give labels of the classes the model was trained on.");
    }

    var correct = predictions.Where((predicted, i) => predicted == labels.Data[i]).Count();
    var perClass = Enumerable.Range(0, classes).Select(c => $"{c}: {predictions.Count(p => p == c)}");
    Console.WriteLine($"model: {modelPath} ({new FileInfo(modelPath).Length:N0} bytes), input [batch, {string.Join(", ", shape.Skip(1))}], {classes} classes");
    Console.WriteLine($"images: {images.Source}, {count:N0} of {images.Dimensions[1]}x{images.Dimensions[2]}");
    Console.WriteLine($"accuracy: {100.0 * correct / count:F2}% ({correct:N0} of {count:N0})");
    Console.WriteLine($"predicted per class: {string.Join(", ", perClass)}");
    Console.WriteLine($"time: {clock.Elapsed.TotalMilliseconds:F1} ms in batches of {BatchSize} ({clock.Elapsed.TotalMicroseconds / count:F1} µs an image)");
}

static InferenceSession Open(string modelPath)
{
    try
    {
        return new InferenceSession(modelPath);
    }
    catch (OnnxRuntimeException error)
    {
        throw new InputException($"{modelPath}: ONNX Runtime cannot load it as a model ({error.Message.Trim().TrimEnd('.')}). Give an .onnx file, such as the one `lottery export <run> --to model.onnx` writes.");
    }
}

static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, RunOptions options, string inputName, OrtValue input, string outputName, string modelPath)
{
    try
    {
        return session.Run(options, [inputName], [input], [outputName]);
    }
    catch (OnnxRuntimeException error)
    {
        throw new InputException($"{modelPath}: ONNX Runtime failed to run it ({error.Message.Trim().TrimEnd('.')}). Check that the file is the model you meant, exported by `lottery export`.");
    }
}

static int ArgMax(ReadOnlySpan<float> logits)
{
    var best = 0;
    for (var c = 1; c < logits.Length; c++)
    {
        if (logits[c] > logits[best])
        {
            best = c;
        }
    }

    return best;
}

/// <summary>An input this program cannot use; the message names the file and what to do.</summary>
internal sealed class InputException(string message) : Exception(message);

/// <summary>
/// An array of unsigned bytes in the IDX format of MNIST's files, gzipped or not: two zero bytes, the type byte 0x08,
/// the number of dimensions, each dimension as a big-endian 32-bit integer, then the bytes themselves.
/// </summary>
internal sealed record Idx(int[] Dimensions, byte[] Data, string Source)
{
    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static Idx ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new InputException($"{path}: no such file. Give MNIST-style IDX files of images and labels (such as t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz), or none for the embedded test digits.");
        }

        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads the resource <paramref name="name"/> embedded in this program.</summary>
    public static Idx ReadEmbedded(string name, string source)
    {
        using var stream = typeof(Idx).Assembly.GetManifestResourceStream(name)
            ?? throw new InputException($"{source} ({name}) are not embedded in this build. Rebuild it inside the Lottery repository, or give image and label files.");
        return Read(stream, source);
    }

    private static Idx Read(Stream stream, string source)
    {
        var bytes = Decompress(stream, source);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
        {
            throw new InputException($"{source}: not an IDX file of unsigned bytes (it must begin with 00 00 08). Give MNIST-style IDX files, such as t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.");
        }

        var rank = bytes[3];
        var header = 4 + (4 * rank);
        if (bytes.Length < header)
        {
            throw new InputException($"{source}: the file ends inside its header; it is truncated.");
        }

        var dimensions = new int[rank];
        long size = 1;
        for (var d = 0; d < rank; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * d)));
            size *= dimensions[d];
        }

        if (dimensions.Any(d => d < 0) || bytes.Length - header != size)
        {
            throw new InputException($"{source}: its header announces [{string.Join(" x ", dimensions)}] = {size:N0} bytes but {bytes.Length - header:N0} follow; the file is truncated or not IDX.");
        }

        return new Idx(dimensions, bytes[header..], source);
    }

    /// <summary>The stream's bytes, gunzipped when they begin with gzip's signature (1f 8b).</summary>
    private static byte[] Decompress(Stream stream, string source)
    {
        using var raw = new MemoryStream();
        stream.CopyTo(raw);
        var bytes = raw.ToArray();
        if (bytes is not [0x1f, 0x8b, ..])
        {
            return bytes;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            return plain.ToArray();
        }
        catch (InvalidDataException error)
        {
            throw new InputException($"{source}: not a valid gzip file ({error.Message.TrimEnd('.')}). Give the file as downloaded, gzipped or not.");
        }
    }
}
