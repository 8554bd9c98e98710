using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Export.Graphs;

/// <summary>A model's captured graph: its steps in the order <c>forward</c> ran them, from the input to the output.</summary>
/// <param name="Model">The model.</param>
/// <param name="InputShape">One example's input shape, without the batch dimension.</param>
/// <param name="Steps">The steps.</param>
/// <param name="Output">The name of the value the model returns.</param>
public sealed record CapturedGraph(nn.Module Model, IReadOnlyList<long> InputShape, IReadOnlyList<GraphStep> Steps, string Output)
{
    /// <summary>The input's name in the graph.</summary>
    public const string InputName = "input";

    /// <summary>
    /// The input's element type: 64-bit integer indices for a model that holds an <see cref="Embedding"/> (its tokens),
    /// otherwise the type of the model's parameters.
    /// </summary>
    public ScalarType InputType { get; init; } = ScalarType.Float32;
}

/// <summary>
/// Captures a model's graph by running its <c>forward</c> once over <see cref="Traced"/> values, on an example input:
/// models the generator wrote a traced <c>forward</c> for (<see cref="ITraceable"/>) run it; a <see cref="Sequential"/>
/// runs its children in turn; a module without submodules becomes one step. The example's output through the captured
/// steps must equal the model's own output, or the capture fails: a graph that computes something else is never written.
/// </summary>
public sealed class GraphCapture
{
    /// <summary>The batch size of the example input the graph is written from. A size equal to it in the first axis of a reshape is the batch.</summary>
    internal const long ExampleBatch = 3;

    /// <summary>The other batch sizes the graph is captured at: it must come out the same, or forward depends on the batch size in a way the file cannot.</summary>
    private static readonly long[] OtherBatches = [1, 5];

    [ThreadStatic]
    private static GraphCapture? current;

    private readonly Dictionary<nn.Module, string> paths = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IntPtr, string> tensorPaths = [];
    private readonly Dictionary<nn.Module, int> calls = new(ReferenceEqualityComparer.Instance);
    private readonly List<GraphStep> steps = [];
    private readonly HashSet<string> names = new(StringComparer.Ordinal) { CapturedGraph.InputName };
    private readonly Stack<string> scopes = new();
    private readonly List<string> inPlace = [];
    private readonly long batch;
    private readonly Dictionary<nn.Module, TransformerLayerSpec> transformers;

    private GraphCapture(nn.Module model, long batch, Dictionary<nn.Module, TransformerLayerSpec> transformers)
    {
        this.batch = batch;
        this.transformers = transformers;
        paths[model] = string.Empty;
        foreach (var (name, module) in model.named_modules())
        {
            paths.TryAdd(module, name);
        }

        foreach (var (name, parameter) in model.named_parameters())
        {
            tensorPaths.TryAdd(parameter.Handle, name);
        }

        foreach (var (name, buffer) in model.named_buffers())
        {
            tensorPaths.TryAdd(buffer.Handle, name);
        }
    }

    /// <summary>
    /// Captures <paramref name="model"/>'s graph for inputs of <paramref name="inputShape"/> (without the batch
    /// dimension), the model in evaluation mode (its mode is restored after).
    /// </summary>
    /// <exception cref="GraphCaptureException">A module or a line of a <c>forward</c> cannot be captured; the message names it.</exception>
    public static CapturedGraph Capture(nn.Module model, IReadOnlyList<long> inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        // A transformer layer's settings are found once, at the first batch size, and shared by the other captures.
        var transformers = new Dictionary<nn.Module, TransformerLayerSpec>(ReferenceEqualityComparer.Instance);
        var graph = CaptureAt(model, inputShape, ExampleBatch, transformers);
        foreach (var other in OtherBatches)
        {
            var again = CaptureAt(model, inputShape, other, transformers);
            var differs = Enumerable.Range(0, Math.Max(graph.Steps.Count, again.Steps.Count))
                .FirstOrDefault(i => i >= graph.Steps.Count || i >= again.Steps.Count || !SameStep(graph.Steps[i], again.Steps[i]), -1);
            if (differs >= 0)
            {
                var step = differs < graph.Steps.Count ? graph.Steps[differs] : again.Steps[differs];
                throw new GraphCaptureException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{model.GetType().Name}'s forward computes a different graph for a batch of {other} than for a batch of {ExampleBatch} (from '{step.Output}' on): it uses the batch size (input.shape[0]) in a way a file with a free batch cannot. Use it only as the first size of a reshape, as view(input.shape[0], ...)."));
            }
        }

        // The file's free axis is the first: the model must keep its examples there, each computed alone.
        using (NewDisposeScope())
        {
            string? problem;
            try
            {
                problem = Training.BatchAxis.Problem((nn.Module<Tensor, Tensor>)model, Example(model, inputShape, 1));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or ExternalException)
            {
                throw FailsOn(model, inputShape, e);
            }

            if (problem is not null)
            {
                throw new GraphCaptureException(problem + " Nothing is written.");
            }
        }

        return graph;
    }

    private static bool SameStep(GraphStep first, GraphStep second) => (first, second) switch
    {
        (ModuleStep a, ModuleStep b) => ReferenceEquals(a.Module, b.Module) && a.Input == b.Input && a.Output == b.Output && a.OutputShape.Count == b.OutputShape.Count && a.Transformer == b.Transformer,
        (OpStep a, OpStep b) => a.Op == b.Op && a.Inputs.SequenceEqual(b.Inputs) && a.Output == b.Output && a.Ints.SequenceEqual(b.Ints) && a.Scalar == b.Scalar && a.Flag == b.Flag && a.Rank == b.Rank,
        (ConstantStep a, ConstantStep b) => a.Path == b.Path && a.Output == b.Output,
        _ => false,
    };

    private static CapturedGraph CaptureAt(nn.Module model, IReadOnlyList<long> inputShape, long batch, Dictionary<nn.Module, TransformerLayerSpec> transformers)
    {
        if (model is not nn.Module<Tensor, Tensor> callable)
        {
            throw new GraphCaptureException($"The model is a {model.GetType().Name}, whose forward does not take one tensor and return one; graph export writes models of one input and one output.");
        }

        var training = model.training;
        var previous = current;
        var capture = new GraphCapture(model, batch, transformers);
        current = capture;
        try
        {
            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var example = Example(model, inputShape, batch);
            Traced output;
            Tensor expected;
            try
            {
                output = Call(model, new Traced(capture, CapturedGraph.InputName, example));
                expected = callable.call(example);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or ExternalException)
            {
                throw FailsOn(model, inputShape, e);
            }

            var difference = expected.shape.SequenceEqual(output.Value.shape) ? (expected - output.Value).abs().max().ToDouble() : double.PositiveInfinity;
            if (!(difference <= 1e-5))
            {
                var hint = capture.inPlace.Count == 0
                    ? string.Empty
                    : $" In place: {string.Join(", ", capture.inPlace)} change their input, which forward may use again; make them inplace: false.";
                throw new GraphCaptureException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The graph captured from {model.GetType().Name}'s forward computes something else than the model (largest difference {difference:G3}): its forward does something the capture does not see.{hint} Nothing is written."));
            }

            return new CapturedGraph(model, [.. inputShape], [.. capture.steps], output.Name) { InputType = example.dtype };
        }
        finally
        {
            current = previous;
            model.train(training);
        }
    }

    /// <summary>
    /// A random input of <paramref name="batch"/> examples of <paramref name="inputShape"/> (the same every call), on
    /// the model's device: for a model that holds an <see cref="Embedding"/>, 64-bit indices every one of its embeddings
    /// can look up; otherwise values of the model's type.
    /// </summary>
    public static Tensor Example(nn.Module model, IReadOnlyList<long> inputShape, long batch = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        var parameter = model.parameters().FirstOrDefault();
        using var generator = new Generator(20261207 + (ulong)batch, parameter?.device ?? CPU);
        var vocabulary = model.modules().OfType<Embedding>().Select(e => e.weight?.shape[0] ?? 0).DefaultIfEmpty(-1).Min();
        return vocabulary switch
        {
            -1 => randn([batch, .. inputShape], dtype: parameter?.dtype ?? ScalarType.Float32, device: parameter?.device, generator: generator),
            0 => throw new GraphCaptureException($"{model.GetType().Name} holds an Embedding without a weight; graph export looks up its rows."),
            _ => randint(0, vocabulary, [batch, .. inputShape], dtype: ScalarType.Int64, device: parameter?.device, generator: generator),
        };
    }

    private static GraphCaptureException FailsOn(nn.Module model, IReadOnlyList<long> inputShape, Exception error) =>
        new(TakesIndices(model)
            ? $"The model's forward fails on 64-bit indices of shape [batch, {string.Join(", ", inputShape)}] (graph export gives indices to a model that holds an Embedding): {FirstLine(error.Message)} Give the shape of one example's tokens without the batch dimension; a model whose input is not its embeddings' indices cannot be exported."
            : $"The model's forward fails on an input of shape [batch, {string.Join(", ", inputShape)}]: {FirstLine(error.Message)} Give the shape of one example without the batch dimension.");

    /// <summary>Runs <paramref name="module"/> on <paramref name="input"/>, adding its steps to the graph (the traced <c>forward</c> calls this for every module call).</summary>
    /// <param name="module">The module called.</param>
    /// <param name="input">Its input.</param>
    /// <param name="expression">How forward names the module (<c>fc</c>, <c>blocks[i]</c>), filled in by the compiler, for errors.</param>
    public static Traced Call(nn.Module module, Traced input, [CallerArgumentExpression(nameof(module))] string? expression = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        return input.Capture.CallModule(module, input, expression);
    }

    /// <summary>A tensor the model holds (a parameter, a buffer, a constant) used directly in <c>forward</c>, as a graph value.</summary>
    public static Traced Constant(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var capture = current ?? throw new InvalidOperationException("GraphCapture.Constant is called only while a graph is captured.");
        return capture.AddConstant(value);
    }

    internal Traced Unary(string op, Traced input, Tensor value, string? inPlaceCall = null)
    {
        if (inPlaceCall is not null)
        {
            inPlace.Add(inPlaceCall);
        }

        return Add(new OpStep(op, [input.Name], Fresh(op), [], null, (int)input.Value.dim()), value);
    }

    internal Traced Gelu(Traced input, bool tanh) =>
        Add(new OpStep(GraphOps.Gelu, [input.Name], Fresh(GraphOps.Gelu), [], null, (int)input.Value.dim()) { Flag = tanh }, nn.functional.gelu(input.Value, tanh ? GELU.Approximate.tanh : GELU.Approximate.none));

    internal Traced Binary(string op, Traced left, Traced right, Tensor value) => Add(new OpStep(op, [left.Name, right.Name], Fresh(op), [], null, (int)left.Value.dim()), value);

    internal Traced WithScalar(string op, Traced input, double scalar, Tensor value) => Add(new OpStep(op, [input.Name], Fresh(op), [], scalar, (int)input.Value.dim()), value);

    internal Traced Softmax(Traced input, long dim) => Add(new OpStep(GraphOps.Softmax, [input.Name], Fresh(GraphOps.Softmax), [Axis(dim, input)], null, (int)input.Value.dim()), nn.functional.softmax(input.Value, dim));

    internal Traced Reshape(Traced input, long[] shape)
    {
        var target = shape.ToArray();
        if (target.Length > 0 && input.Value.dim() > 0 && input.Value.shape[0] == batch && target[0] == batch)
        {
            target[0] = 0; // The batch: copied from the input's first axis, whatever its size.
        }
        else if (target.Length > 0 && target[0] != -1 && input.Value.dim() > 0 && input.Value.shape[0] == batch)
        {
            throw Unsupported($"a reshape to [{string.Join(", ", shape)}] moves the batch axis or fixes its size; keep the batch first, as view(input.shape[0], ...) or view(-1, ...)");
        }

        return Add(new OpStep(GraphOps.Reshape, [input.Name], Fresh(GraphOps.Reshape), target, null, (int)input.Value.dim()), input.Value.reshape(shape));
    }

    internal Traced Flatten(Traced input, long start, long end)
    {
        var rank = input.Value.dim();
        return Add(new OpStep(GraphOps.Flatten, [input.Name], Fresh(GraphOps.Flatten), [Axis(start, input), Axis(end, input)], null, (int)rank), input.Value.flatten(start, end));
    }

    internal Traced Mean(Traced input, long[] dimensions, bool keepdim, ScalarType? type)
    {
        if (type is not null && type != input.Value.dtype)
        {
            throw Unsupported("a mean that changes the element type");
        }

        var axes = dimensions.Select(d => Axis(d, input)).ToArray();
        return Add(new OpStep(GraphOps.Mean, [input.Name], Fresh(GraphOps.Mean), axes, null, (int)input.Value.dim()) { Flag = keepdim }, input.Value.mean(dimensions, keepdim));
    }

    internal Traced Transpose(Traced input, long dim0, long dim1) =>
        Add(new OpStep(GraphOps.Transpose, [input.Name], Fresh(GraphOps.Transpose), [Axis(dim0, input), Axis(dim1, input)], null, (int)input.Value.dim()), input.Value.transpose(dim0, dim1));

    internal Traced Permute(Traced input, long[] permutation) =>
        Add(new OpStep(GraphOps.Permute, [input.Name], Fresh(GraphOps.Permute), permutation.Select(d => Axis(d, input)).ToArray(), null, (int)input.Value.dim()), input.Value.permute(permutation));

    internal Traced Concat(IList<Traced> tensors, long dim) =>
        Add(new OpStep(GraphOps.Concat, [.. tensors.Select(t => t.Name)], Fresh(GraphOps.Concat), [Axis(dim, tensors[0])], null, (int)tensors[0].Value.dim()), cat([.. tensors.Select(t => t.Value)], dim));

    internal Traced AdaptiveAveragePool(Traced input, long[] size)
    {
        if (size.Any(s => s != 1))
        {
            throw Unsupported($"adaptive average pooling to [{string.Join(", ", size)}]; graph export writes pooling to 1x1 (a global average)");
        }

        return Add(new OpStep(GraphOps.GlobalAveragePool, [input.Name], Fresh(GraphOps.GlobalAveragePool), [], null, (int)input.Value.dim()), nn.functional.adaptive_avg_pool2d(input.Value, size));
    }

    private Traced CallModule(nn.Module module, Traced input, string? expression = null)
    {
        var path = PathOf(module, expression);
        var shown = path.Length == 0 ? module.GetType().Name : $"'{path}' ({module.GetType().Name})";
        if (module is ITraceable traceable)
        {
            scopes.Push(path);
            try
            {
                return traceable.Trace(input);
            }
            finally
            {
                scopes.Pop();
            }
        }

        if (module is Sequential sequential)
        {
            var value = input;
            foreach (var child in sequential.children())
            {
                value = CallModule(child, value);
            }

            return value;
        }

        if (module is Layers.SelfAttention)
        {
            throw new GraphCaptureException($"Module {shown} is Lottery's SelfAttention, which graph export writes only as part of an EncoderLayer (Lottery.Layers); use an EncoderLayer, or export without it.");
        }

        if (module.children().Any() && module is not Layers.EncoderLayer)
        {
            throw new GraphCaptureException(
                $"Module {shown} has submodules, and its forward is code that graph export cannot read (compiled, or in a class Lottery generates no code for). " +
                "Declare the class partial with a [Prunable] member, so that Lottery's generator reads its forward, or export a declared twin of it.");
        }

        if (module is not nn.Module<Tensor, Tensor> layer)
        {
            throw new GraphCaptureException($"Module {shown} does not take one tensor and return one; graph export writes modules of one input and one output.");
        }

        calls.TryGetValue(module, out var count);
        calls[module] = count + 1;
        var output = Unique(count == 0 ? path + "_out" : $"{path}_out_{count}");
        // On a copy of its input: a module that works in place (ReLU(inplace: true)) must not change the value the graph
        // still reads. When forward reads it again, the model's own output then differs, and the capture says why.
        var argument = input.Value.clone();
        var lookup = module is Embedding embedding ? Lookup(embedding, argument) : null;   // before the call: max_norm rescales rows in place
        var result = layer.call(argument);
        if (!argument.allclose(input.Value, rtol: 0, atol: 0))
        {
            inPlace.Add($"'{path}'");
        }

        if (lookup is not null && !lookup.allclose(result, rtol: 0, atol: 0))
        {
            throw new GraphCaptureException($"Module {shown} is an Embedding whose output is not its weight's rows at the given indices (made with max_norm, which rescales rows as it looks them up); graph export writes a plain lookup. Make it without max_norm.");
        }

        var step = new ModuleStep(module, path, input.Name, output, result.shape)
        {
            Transformer = module switch
            {
                TransformerEncoderLayer transformer => SpecOf(transformer, input.Value, result, path),
                Layers.EncoderLayer managed => TransformerLayerSpec.Of(managed),
                _ => null,
            },
        };
        return Add(step, result);
    }

    /// <summary>Whether capture gives <paramref name="model"/> token indices: it holds an Embedding.</summary>
    private static bool TakesIndices(nn.Module model) => model.modules().OfType<Embedding>().Any();

    private static Tensor Lookup(Embedding embedding, Tensor indices) =>
        embedding.weight!.index_select(0, indices.flatten()).reshape([.. indices.shape, embedding.weight.shape[1]]);

    private TransformerLayerSpec SpecOf(TransformerEncoderLayer layer, Tensor input, Tensor output, string path)
    {
        if (!transformers.TryGetValue(layer, out var spec))
        {
            spec = TransformerLayerSpec.Infer(layer, input, output, path);
            transformers.Add(layer, spec);
        }

        return spec;
    }

    private Traced AddConstant(Tensor value)
    {
        var path = tensorPaths.TryGetValue(value.Handle, out var known) ? known : Unique("constant");
        var name = Unique(path);
        steps.Add(new ConstantStep(path, value, name)); // The model's own tensor, which outlives the capture.
        return new Traced(this, name, value.detach());
    }

    private Traced Add(GraphStep step, Tensor value)
    {
        steps.Add(step);
        return new Traced(this, step.Output, value);
    }

    private string PathOf(nn.Module module, string? expression)
    {
        if (paths.TryGetValue(module, out var path))
        {
            return path;
        }

        var called = expression is null ? $"a {module.GetType().Name}" : $"'{expression.Replace("this.", string.Empty, StringComparison.Ordinal)}' (a {module.GetType().Name})";
        var where = scopes.Count > 0 && scopes.Peek().Length > 0 ? $"The forward of '{scopes.Peek()}'" : "The model's forward";
        throw new GraphCaptureException($"{where} calls {called}, a module not registered in the model: graph export names every module by its place in the model. Assign it before RegisterComponents() in the constructor (RegisterComponents registers the fields that hold modules), or register it with register_module.");
    }

    private string Fresh(string op)
    {
        var scope = scopes.Count > 0 && scopes.Peek().Length > 0 ? scopes.Peek() + "/" : string.Empty;
        return Unique(scope + op);
    }

    private string Unique(string name)
    {
        var candidate = name;
        for (var i = 1; !names.Add(candidate); i++)
        {
            candidate = string.Create(CultureInfo.InvariantCulture, $"{name}_{i}");
        }

        return candidate;
    }

    private long Axis(long axis, Traced input) => axis < 0 ? axis + input.Value.dim() : axis;

    private GraphCaptureException Unsupported(string what)
    {
        var where = scopes.Count > 0 && scopes.Peek().Length > 0 ? $"the forward of '{scopes.Peek()}'" : "the model's forward";
        return new GraphCaptureException($"Graph export cannot write {what} (in {where}).");
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
