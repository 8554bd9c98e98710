using Lottery.Inference;
using Lottery.Reporting;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Lottery.CommandLine;

/// <summary>
/// ONNX Runtime for the inference benchmark: each exported ONNX file in a session with as many threads as TorchSharp
/// uses, its inputs converted once to ONNX Runtime's values (so that a timed call is ONNX Runtime's work alone).
/// </summary>
internal sealed class OnnxRuntimeEngine : IOnnxEngine
{
    private static readonly string[] InputNames = [Export.OnnxExport.InputName];
    private static readonly string[] OutputNames = [Export.OnnxExport.OutputName];

    public static OnnxRuntimeEngine Instance { get; } = new();

    public string Name => InferenceEngines.OnnxRuntime;

    public IOnnxSession Open(byte[] onnx, IReadOnlyList<long> inputShape) => new Session(Create(onnx), inputShape);

    /// <summary>A session on <paramref name="onnx"/> with TorchSharp's thread count, every graph optimisation on, and no spinning threads.</summary>
    private static InferenceSession Create(byte[] onnx)
    {
        using var settings = new SessionOptions
        {
            IntraOpNumThreads = get_num_threads(),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Idle threads sleep instead of spinning: a session's spinning pool would take the cores from the model measured
        // after it (the benchmark interleaves many models on few cores).
        settings.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(onnx, settings);
    }

    /// <summary>A float tensor of shape [n, ...inputShape] holding a copy of <paramref name="samples"/>.</summary>
    private static OrtValue Value(Tensor samples, IReadOnlyList<long> inputShape)
    {
        using var scope = NewDisposeScope();
        var flat = samples.to(ScalarType.Float32).cpu().contiguous();
        return OrtValue.CreateTensorValueFromMemory(flat.data<float>().ToArray(), [samples.shape[0], .. inputShape]);
    }

    private sealed class Session(InferenceSession session, IReadOnlyList<long> inputShape) : IOnnxSession
    {
        public IInferenceEngine Engine(InferenceInputs inputs) => new Timed(session, inputs, inputShape);

        public long[] Predict(Tensor inputs)
        {
            var predictions = new long[inputs.shape[0]];
            using var run = new RunOptions();
            for (long start = 0; start < inputs.shape[0]; start += 256)
            {
                var length = Math.Min(256, inputs.shape[0] - start);
                using var part = inputs.narrow(0, start, length);
                using var value = Value(part, inputShape);
                using var outputs = session.Run(run, InputNames, [value], OutputNames);
                var logits = outputs[0].GetTensorDataAsSpan<float>();
                var classes = logits.Length / (int)length;
                for (var i = 0; i < length; i++)
                {
                    var row = logits.Slice(i * classes, classes);
                    var best = 0;
                    for (var c = 1; c < classes; c++)
                    {
                        if (row[c] > row[best])
                        {
                            best = c;
                        }
                    }

                    predictions[start + i] = best;
                }
            }

            return predictions;
        }

        public void Dispose() => session.Dispose();
    }

    /// <summary>The session as the timer calls it, on inputs converted once.</summary>
    private sealed class Timed : IInferenceEngine
    {
        private readonly InferenceSession session;
        private readonly List<OrtValue> singles;
        private readonly OrtValue batch;
        private readonly RunOptions options = new();

        public Timed(InferenceSession session, InferenceInputs inputs, IReadOnlyList<long> inputShape)
        {
            this.session = session;
            singles = inputs.Singles.Select(s => Value(s, inputShape)).ToList();
            batch = Value(inputs.Batch, inputShape);
        }

        public void Single(int index) => session.Run(options, InputNames, [singles[index]], OutputNames).Dispose();

        public void Batch() => session.Run(options, InputNames, [batch], OutputNames).Dispose();

        public void Dispose()
        {
            foreach (var value in singles)
            {
                value.Dispose();
            }

            batch.Dispose();
            options.Dispose();
        }
    }
}
