using Lottery.Export;
using Lottery.Export.Graphs;
using Lottery.Groups;
using Lottery.Layers;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Training;

/// <summary>
/// A model must keep the batch first: the tracer, graph export and the trainer refuse, in one line that says to transpose,
/// a model that hands its input to a sequence-first encoder layer unchanged, or one whose examples mix through attention.
/// </summary>
public sealed class BatchAxisTests
{
    [Fact]
    public void A_sequence_first_model_is_refused_by_the_trace_the_export_and_a_run_in_one_line_that_says_to_transpose()
    {
        manual_seed(3);
        using var model = new SequenceFirstNet();

        var traced = Assert.Throws<NotSupportedException>(() => DependencyGroups.Of(model, randn(6, 1, 28)));
        var exported = Assert.Throws<GraphCaptureException>(() => OnnxExport.ToBytes(model, [1, 28]));
        using var data = TestData.SmallDigits(train: 100, validation: 20, test: 20);
        using var run = new PruningRun(() => new SequenceFirstNet(), new TrainingSettings { Epochs = 1, Seed = 1, BatchSize = 50 }, new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 1) });
        var trained = Assert.Throws<InvalidOperationException>(() => run.Execute(new Lottery.Data.DataSplit(Tokens(data.Train), Tokens(data.Validation), Tokens(data.Test))));

        foreach (var message in new[] { traced.Message, exported.Message, trained.Message })
        {
            Assert.DoesNotContain('\n', message);
            Assert.StartsWith("SequenceFirstNet's forward", message, StringComparison.Ordinal);
            Assert.Contains("transpose", message);
        }

        Assert.Contains("returns [1, 10] for a batch of 2", traced.Message);
        Assert.Contains("for a batch of 50", trained.Message);
    }

    [Fact]
    public void A_model_whose_examples_mix_through_attention_is_refused_by_the_trace_and_the_export()
    {
        manual_seed(4);
        using var model = new BatchMixingNet();

        var traced = Assert.Throws<NotSupportedException>(() => DependencyGroups.Of(model, randn(1, 50)));
        var exported = Assert.Throws<GraphCaptureException>(() => OnnxExport.ToBytes(model, [50]));

        foreach (var message in new[] { traced.Message, exported.Message })
        {
            Assert.DoesNotContain('\n', message);
            Assert.Contains("BatchMixingNet's forward mixes the examples of a batch", message);
        }

        // Transposed as the message says, the same layers trace and export.
        using var fixedModel = new BatchFirstNet();
        Assert.NotEmpty(DependencyGroups.Of(fixedModel, randn(1, 50)).Groups);
        Assert.NotEmpty(OnnxExport.ToBytes(fixedModel, [50]));
    }

    // The digits as 28 tokens of 28 pixels, batch first: [N, 28, 28] as a sequence-first model would wrongly read them.
    private static Lottery.Data.TensorDataSet Tokens(Lottery.Data.TensorDataSet set) => new(set.Name, set.Inputs.view(-1, 28, 28), set.Labels, set.ClassCount);
}

/// <summary>The docs' token classifier without its transpose: it reads [sequence, batch, features] from its input directly.</summary>
public sealed partial class SequenceFirstNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly Linear embed = nn.Linear(28, 16);

    [Prunable]
    private readonly EncoderLayer encoder = new(16, 4, 32, dropout: 0.0);

    [Prunable]
    private readonly Linear head = nn.Linear(16, 10);

    /// <summary>Creates the model.</summary>
    public SequenceFirstNet()
        : base(nameof(SequenceFirstNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor tokens) => head.call(encoder.call(embed.call(tokens)).mean([0]));
}

/// <summary>Ten features as five tokens of ten, handed to the encoder layer batch first: attention runs across the batch.</summary>
public sealed partial class BatchMixingNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly EncoderLayer encoder = new(10, 2, 20, dropout: 0.0);

    [Prunable]
    private readonly Linear head = nn.Linear(10, 3);

    /// <summary>Creates the model.</summary>
    public BatchMixingNet()
        : base(nameof(BatchMixingNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => head.call(encoder.call(input.view(-1, 5, 10)).mean([1]));
}

/// <summary><see cref="BatchMixingNet"/> transposed to the encoder layer's [sequence, batch, features].</summary>
public sealed partial class BatchFirstNet : nn.Module<Tensor, Tensor>
{
    [Prunable]
    private readonly EncoderLayer encoder = new(10, 2, 20, dropout: 0.0);

    [Prunable]
    private readonly Linear head = nn.Linear(10, 3);

    /// <summary>Creates the model.</summary>
    public BatchFirstNet()
        : base(nameof(BatchFirstNet)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => head.call(encoder.call(input.view(-1, 5, 10).transpose(0, 1)).mean([0]));
}
