using System.Globalization;
using static TorchSharp.torch;

namespace Lottery.Training;

/// <summary>
/// Lottery gives a model its inputs batch first ([batch, ...]) and reads the first axis of its output as the batch: the
/// trainer, the dependency tracer (which copies an example along that axis) and graph export (whose files leave that
/// axis free) all rely on it. A model whose forward keeps another axis first (a sequence-first encoder layer fed
/// [sequence, batch, features] straight from the input) is refused in one line here, instead of failing deep in
/// LibTorch or writing a file whose free axis is not the batch.
/// </summary>
internal static class BatchAxis
{
    private const string Remedy =
        "Lottery reads the first axis of a model's input and output as the batch; a layer that takes the sequence first (an encoder layer's [sequence, batch, features]) needs forward to transpose, as encoder.call(x.transpose(0, 1)).";

    /// <summary>Why <paramref name="output"/> is not the output of a batch of <paramref name="batch"/> examples; null when it is.</summary>
    public static string? OutputProblem(nn.Module model, long batch, Tensor output) =>
        output.dim() > 0 && output.shape[0] == batch
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"{model.GetType().Name}'s forward returns [{string.Join(", ", output.shape)}] for a batch of {batch}. {Remedy}");

    /// <summary>
    /// Why <paramref name="model"/> does not treat the first axis of its input as a batch of independent examples; null when
    /// it does. The first example of <paramref name="example"/> is run alone and beside a second, random one, in evaluation
    /// mode (the model's mode is put back): the output must have twice the rows for two examples (one row per example, or
    /// as many per example), and the first example's rows must not move.
    /// </summary>
    public static string? Problem(nn.Module<Tensor, Tensor> model, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(example);
        if (example.dim() == 0 || example.shape[0] < 1)
        {
            return $"The example given for {model.GetType().Name} has no batch axis; give one input with its batch dimension first.";
        }

        var training = model.training;
        try
        {
            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var generator = new Generator(20261207, example.device);
            var first = example.narrow(0, 0, 1);
            // A second example of the same kind: random values, or for indices (an embedding's tokens) random indices below the largest given.
            var second = first.is_floating_point()
                ? randn(first.shape, dtype: first.dtype, device: first.device, generator: generator)
                : randint(0, first.max().to(ScalarType.Int64).item<long>() + 1, first.shape, dtype: first.dtype, device: first.device, generator: generator);
            var pair = cat([first, second], 0);
            var alone = model.call(first);
            var together = model.call(pair);
            // One row per example, or as many per example (a flatten of every axis): twice the rows for two examples.
            if (alone.dim() == 0 || together.dim() == 0 || together.shape[0] != 2 * alone.shape[0])
            {
                return OutputProblem(model, 2, together) ?? OutputProblem(model, 1, alone);
            }

            var rows = together.narrow(0, 0, alone.shape[0]);
            var scale = alone.abs().max().to(ScalarType.Float64).item<double>();
            var difference = alone.shape.SequenceEqual(rows.shape)
                ? (rows - alone).abs().max().to(ScalarType.Float64).item<double>()
                : double.PositiveInfinity;
            return difference <= 1e-4 * (1 + scale)
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"{model.GetType().Name}'s forward mixes the examples of a batch: its first example gives other outputs alone than beside another (largest difference {difference:G3}). {Remedy}");
        }
        finally
        {
            model.train(training);
        }
    }
}
