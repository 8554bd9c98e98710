using Lottery.Data;
using Lottery.Masks;
using Lottery.Training.Sparse;
using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Training;

/// <summary>
/// Trains a classifier on in-memory tensors: shuffled batches, Adam or SGD, a step learning-rate
/// schedule, and evaluation. When given masks, it keeps pruned weights exactly zero: gradients are
/// masked before each optimizer step, so pruned entries never reach the optimizer's state, and the
/// optimizer's state is cleared at pruned entries at the start of every epoch (so before a new optimizer's
/// first step too); <see cref="Runs.PruningRun"/> also clears it right after each pruning event.
/// With SGD and Adam that alone keeps pruned weights at exactly zero (every term of their update is a
/// product with a zero); the weights are masked after each step only for other optimizers.
/// </summary>
/// <remarks>
/// Every tensor made for a batch lives in a dispose scope that ends with the batch; the trainer owns
/// only its optimizer and its shuffling generator. The model must already be on <see cref="TrainingSettings.Device"/>
/// (<see cref="Runs.PruningRun"/> puts it there); the data stay where they are and each batch is moved to the model's
/// device as it is used, its order drawn on the CPU, so every device sees the same batches.
/// </remarks>
public sealed class Trainer : IDisposable
{
    private const int EvaluationBatchSize = 1000;
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly Generator shuffle;
    private readonly Device device;
    private optim.Optimizer optimizer;
    private bool maskWeightsAfterStep;
    private int learningRateEpoch;

    /// <summary>Creates a trainer for <paramref name="model"/>; <paramref name="masks"/> is null for a dense model.</summary>
    /// <exception cref="ArgumentException">
    /// The settings' device is not available here (<see cref="TrainingDevice.Resolve"/>), or the model is not on it.
    /// </exception>
    public Trainer(nn.Module<Tensor, Tensor> model, TrainingSettings settings, MaskSet? masks = null)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        Settings = (settings ?? throw new ArgumentNullException(nameof(settings))).Validate();
        device = TrainingDevice.Resolve(Settings);
        var modelDevice = TrainingDevice.Of(model);
        if (!TrainingDevice.Matches(modelDevice, device))
        {
            throw new ArgumentException(
                $"{model.GetType().Name} is on {modelDevice}, but TrainingSettings.Device is {device}: move the model there with model.to(...) before attaching its masks (a PruningRun does this), or set Device to {modelDevice}.",
                nameof(model));
        }

        Masks = masks;
        shuffle = new Generator((ulong)settings.Seed);
        optimizer = CreateOptimizer();
    }

    /// <summary>The settings.</summary>
    public TrainingSettings Settings { get; }

    /// <summary>The masks kept in force, or null.</summary>
    public MaskSet? Masks { get; }

    /// <summary>Where the model lives and each batch is moved to (<see cref="TrainingSettings.Device"/>).</summary>
    public Device Device => device;

    /// <summary>The current optimizer (replaced by <see cref="ResetOptimizer"/>).</summary>
    public optim.Optimizer Optimizer => optimizer;

    /// <summary>Hooks called after each batch.</summary>
    public List<ITrainingHooks> Hooks { get; } = [];

    /// <summary>Batches trained since the last <see cref="BeginRound"/>.</summary>
    public long Iteration { get; private set; }

    /// <summary>The learning rate the next epoch will use.</summary>
    public double CurrentLearningRate => Settings.LearningRateAt(learningRateEpoch);

    /// <summary>
    /// Starts a round: the iteration count restarts, and the batch order restarts from the seed so that
    /// every round sees the same sequence of batches.
    /// </summary>
    public void BeginRound()
    {
        Iteration = 0;
        shuffle.manual_seed(Settings.Seed);
    }

    /// <summary>Replaces the optimizer with a fresh one (no momentum or moments), as after rewinding weights.</summary>
    public void ResetOptimizer()
    {
        optimizer.Dispose();
        optimizer = CreateOptimizer();
    }

    /// <summary>Sets the learning-rate schedule's clock (0 restarts it; learning-rate rewinding).</summary>
    public void SetLearningRateEpoch(int epoch) => learningRateEpoch = epoch;

    /// <summary>Trains one epoch over <paramref name="train"/> in shuffled batches; returns the mean training loss.</summary>
    public double TrainEpoch(TensorDataSet train, int round, int epoch)
    {
        ArgumentNullException.ThrowIfNull(train);
        var learningRate = CurrentLearningRate;
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }

        // Once an epoch, before any step: covers a freshly created optimizer, and keeps the neutral state at
        // pruned entries from decaying over long runs.
        Masks?.ApplyToOptimizerState(optimizer);

        model.train();
        double lossSum = 0;
        long batches = 0;
        using var sparse = BeginSparseEpoch(train);
        SparseLayers = sparse?.Layers ?? [];
        using (var epochScope = NewDisposeScope())
        {
            // Drawn on the CPU by the seeded generator, then moved to the data's device if it is elsewhere.
            var order = randperm(train.Count, generator: shuffle);
            if (train.Inputs.device_type != DeviceType.CPU)
            {
                order = order.to(train.Inputs.device);
            }

            var move = Moves(train, device);
            for (long start = 0; start < train.Count; start += Settings.BatchSize)
            {
                using var batchScope = NewDisposeScope();
                var indices = order.narrow(0, start, Math.Min(Settings.BatchSize, train.Count - start));
                var loss = Step(sparse, ToDevice(train.Inputs.index_select(0, indices), device, move), ToDevice(train.Labels.index_select(0, indices), device, move), round, epoch);
                if (!double.IsFinite(loss))
                {
                    throw new TrainingDivergedException(round, epoch, Iteration + 1, loss, learningRate);
                }

                lossSum += loss;
                batches++;
                Iteration++;
                foreach (var hook in Hooks)
                {
                    hook.AfterBatch(new BatchProgress(round, epoch, Iteration, loss));
                }
            }
        }

        sparse?.End();
        learningRateEpoch++;
        return batches == 0 ? double.NaN : lossSum / batches;
    }

    /// <summary>
    /// The masked layers the last epoch trained on the sparse path (<see cref="TrainingSettings.SparseTraining"/>), by
    /// name; empty when it trained dense.
    /// </summary>
    public IReadOnlyList<string> SparseLayers { get; private set; } = [];

    // The sparse path needs masks, an optimizer whose update is elementwise (Adam, SGD) and no hook that reads the
    // weights or their gradients between batches (a criterion accumulated over training, a topology that regrows).
    private SparseTrainingEpoch? BeginSparseEpoch(TensorDataSet train)
    {
        if (Masks is null || Settings.SparseTraining == SparseTraining.Dense || maskWeightsAfterStep || train.Count == 0 || Hooks.Any(h => h.ReadsWeightsDuringEpoch))
        {
            return null;
        }

        // No dispose scope here: the epoch's optimizer and its state outlive this call.
        using var first = train.Inputs.narrow(0, 0, 1);
        using var probe = ToDevice(first, device, Moves(train, device)).alias();
        return SparseTrainingEpoch.Begin(model, Masks, Settings.SparseTraining, optimizer, CreateOptimizer, probe);
    }

    /// <summary>Mean loss and accuracy of the model on <paramref name="data"/>, without changing it.</summary>
    public Evaluation Evaluate(TensorDataSet data) => Evaluate(model, data, Settings.Loss);

    /// <summary>
    /// Mean loss (by <paramref name="loss"/>, default cross-entropy) and accuracy of <paramref name="model"/> on
    /// <paramref name="data"/>, batch by batch on the model's device; the figures come back as numbers.
    /// </summary>
    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, TensorDataSet data, ILossFunction? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
        {
            return Evaluation.None;
        }

        var device = TrainingDevice.Of(model);
        var move = Moves(data, device);
        model.eval();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0;
        for (long start = 0; start < data.Count; start += EvaluationBatchSize)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(EvaluationBatchSize, data.Count - start);
            var logits = model.forward(ToDevice(data.Inputs.narrow(0, start, length), device, move));
            if (start == 0 && BatchAxis.OutputProblem(model, length, logits) is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            var labels = ToDevice(data.Labels.narrow(0, start, length), device, move);
            lossSum += (loss ?? CrossEntropyLoss.Instance).Compute(logits, labels, nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(labels).sum().item<long>();
        }

        return new Evaluation(lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>
    /// Writes what the trainer carries between epochs: the iteration count, the learning-rate schedule's clock,
    /// the batch-order generator and the optimizer's state (for a checkpoint).
    /// </summary>
    internal void SaveState(BinaryWriter writer)
    {
        writer.Write(Iteration);
        writer.Write(learningRateEpoch);
        using (var state = shuffle.get_state())
        {
            state.Save(writer);
        }

        ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote, into this trainer and its current optimizer.</summary>
    internal void LoadState(BinaryReader reader)
    {
        Iteration = reader.ReadInt64();
        learningRateEpoch = reader.ReadInt32();
        using (var state = TorchSharp.TensorExtensionMethods.Load(reader))
        {
            shuffle.set_state(state);
        }

        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        optimizer.Dispose();
        shuffle.Dispose();
    }

    // Whether a data set's batches must be moved to the model's device: decided once a pass, not once a batch. On the
    // CPU nothing moves (the CPU path is exactly what it was before devices could be chosen).
    private static bool Moves(TensorDataSet data, Device device) => !TrainingDevice.Matches(data.Inputs.device, device);

    private static Tensor ToDevice(Tensor batch, Device device, bool move) => move ? batch.to(device) : batch;

    private double Step(SparseTrainingEpoch? sparse, Tensor images, Tensor labels, int round, int epoch)
    {
        if (sparse is null)
        {
            optimizer.zero_grad();
        }
        else
        {
            sparse.ZeroGrad();
        }

        var output = model.forward(images);
        if (Iteration == 0 && BatchAxis.OutputProblem(model, images.shape[0], output) is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var loss = Settings.Loss.Compute(output, labels, nn.Reduction.Mean);
        loss.backward();
        var value = loss.item<float>();
        var progress = new BatchProgress(round, epoch, Iteration + 1, value);
        foreach (var hook in Hooks)
        {
            hook.AfterBackward(progress);
        }

        Masks?.ApplyToGradients();
        foreach (var hook in Hooks)
        {
            hook.BeforeStep(progress);
        }

        if (sparse is not null)
        {
            sparse.Step();
        }
        else if (Masks is not null)
        {
            optimizer.step();
            if (maskWeightsAfterStep)
            {
                Masks.ApplyToWeights();
            }
        }
        else
        {
            optimizer.step();
        }

        return value;
    }

    private optim.Optimizer CreateOptimizer()
    {
        var created = CreateOptimizer(model.parameters());
        maskWeightsAfterStep = Masks is not null && !MaskSet.MaskedGradientsSuffice(created);
        return created;
    }

    private optim.Optimizer CreateOptimizer(IEnumerable<TorchSharp.Modules.Parameter> parameters) => Settings.Optimizer switch
    {
        OptimizerKind.Adam => optim.Adam(parameters, lr: Settings.LearningRate, weight_decay: Settings.WeightDecay),
        OptimizerKind.Sgd => optim.SGD(parameters, Settings.LearningRate, momentum: Settings.Momentum, weight_decay: Settings.WeightDecay, nesterov: Settings.Nesterov),
        _ => throw new ArgumentOutOfRangeException(nameof(Settings), Settings.Optimizer, "Unknown optimizer."),
    };
}
