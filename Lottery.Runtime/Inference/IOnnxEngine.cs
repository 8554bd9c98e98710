using static TorchSharp.torch;

namespace Lottery.Inference;

/// <summary>
/// An engine that runs exported ONNX files beside TorchSharp in <see cref="ExperimentInferenceBenchmark"/> (ONNX Runtime
/// in Lottery's command line). The runtime defines the seam so that it need not depend on any such engine.
/// </summary>
public interface IOnnxEngine
{
    /// <summary>The engine's name in the benchmark's files (for example <see cref="Reporting.InferenceEngines.OnnxRuntime"/>).</summary>
    string Name { get; }

    /// <summary>Loads an ONNX file (<see cref="Export.OnnxExport.ToBytes(TorchSharp.torch.nn.Module, IReadOnlyList{long})"/>'s bytes) whose input is one sample of <paramref name="inputShape"/>.</summary>
    IOnnxSession Open(byte[] onnx, IReadOnlyList<long> inputShape);
}

/// <summary>One ONNX file loaded in an <see cref="IOnnxEngine"/>; disposed by whoever opened it.</summary>
public interface IOnnxSession : IDisposable
{
    /// <summary>The session as <see cref="InferenceTimer"/> times it, its inputs converted once from <paramref name="inputs"/>.</summary>
    IInferenceEngine Engine(InferenceInputs inputs);

    /// <summary>The class the model predicts for every sample of <paramref name="inputs"/> (the index of its largest output).</summary>
    long[] Predict(Tensor inputs);
}
