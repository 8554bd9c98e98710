using TorchSharp;
using static TorchSharp.torch;

namespace Lottery.Export.Graphs;

/// <summary>
/// A value of a graph being captured: a name in the graph and the real tensor computed for the example input, so that
/// the code around it (sizes, conditions, loops) runs as it does in <c>forward</c>. Its methods and operators mirror the
/// <see cref="Tensor"/> members graph export can write; each adds a step to the graph. Only the code the generator writes
/// from a model's <c>forward</c> (<see cref="ITraceable"/>) makes these.
/// </summary>
public sealed class Traced : IDisposable
{
    internal Traced(GraphCapture capture, string name, Tensor value)
    {
        Capture = capture;
        Name = name;
        Value = value;
    }

    /// <summary>The value's name in the graph.</summary>
    public string Name { get; }

    /// <summary>The tensor computed for the example input.</summary>
    public Tensor Value { get; }

    internal GraphCapture Capture { get; }

#pragma warning disable CS1591, IDE1006, SA1300 // Named as TorchSharp's Tensor members, which the traced forward calls.
    public long[] shape => Value.shape;

    public long ndim => Value.ndim;

    public ScalarType dtype => Value.dtype;

    public Device device => Value.device;

    public long Dimensions => Value.Dimensions;

    public long NumberOfElements => Value.NumberOfElements;

    public long numel() => Value.numel();

    public long dim() => Value.dim();

    public long size(int dim) => Value.size(dim);

    public long[] size() => Value.shape;

    public Traced view(params long[] shape) => Capture.Reshape(this, shape);

    public Traced reshape(params long[] shape) => Capture.Reshape(this, shape);

    public Traced flatten(long start_dim = 0, long end_dim = -1) => Capture.Flatten(this, start_dim, end_dim);

    public Traced mean(long[] dimensions, bool keepdim = false, ScalarType? type = null) => Capture.Mean(this, dimensions, keepdim, type);

    public Traced mean() => Capture.Mean(this, [.. Enumerable.Range(0, (int)Value.dim()).Select(i => (long)i)], false, null);

    public Traced transpose(long dim0, long dim1) => Capture.Transpose(this, dim0, dim1);

    public Traced permute(params long[] permutation) => Capture.Permute(this, permutation);

    public Traced relu() => Capture.Unary(GraphOps.Relu, this, Value.relu());

    public Traced sigmoid() => Capture.Unary(GraphOps.Sigmoid, this, Value.sigmoid());

    public Traced tanh() => Capture.Unary(GraphOps.Tanh, this, Value.tanh());

    public Traced contiguous() => this;

    public Traced add(Traced other) => this + other;

    public Traced add(double other) => this + other;

    public Traced add(Traced other, TorchSharp.Scalar alpha) => this + (other * alpha.ToDouble());

    public Traced sub(Traced other) => this - other;

    public Traced sub(double other) => this - other;

    public Traced mul(Traced other) => this * other;

    public Traced mul(double other) => this * other;

    public Traced div(Traced other) => this / other;

    public Traced div(double other) => this / other;

    /// <summary>Nothing to free: the example's tensors end with the capture (a traced <c>using var</c> lands here).</summary>
    public void Dispose()
    {
    }

    public Traced MoveToOuterDisposeScope()
    {
        Value.MoveToOuterDisposeScope();
        return this;
    }

    public Traced DetachFromDisposeScope()
    {
        Value.DetachFromDisposeScope();
        return this;
    }

    public static Traced operator +(Traced left, Traced right) => left.Capture.Binary(GraphOps.Add, left, right, left.Value + right.Value);

    public static Traced operator -(Traced left, Traced right) => left.Capture.Binary(GraphOps.Sub, left, right, left.Value - right.Value);

    public static Traced operator *(Traced left, Traced right) => left.Capture.Binary(GraphOps.Mul, left, right, left.Value * right.Value);

    public static Traced operator +(Traced left, double right) => left.Capture.WithScalar(GraphOps.AddScalar, left, right, left.Value + right);

    public static Traced operator +(double left, Traced right) => right + left;

    public static Traced operator -(Traced left, double right) => left.Capture.WithScalar(GraphOps.AddScalar, left, -right, left.Value - right);

    public static Traced operator -(double left, Traced right) => (right * -1.0) + left;

    public static Traced operator /(Traced left, Traced right) => left.Capture.Binary(GraphOps.Div, left, right, left.Value / right.Value);

    public static Traced operator *(Traced left, double right) => left.Capture.WithScalar(GraphOps.MulScalar, left, right, left.Value * right);

    public static Traced operator *(double left, Traced right) => right * left;

    public static Traced operator /(Traced left, double right) => left.Capture.WithScalar(GraphOps.MulScalar, left, 1.0 / right, left.Value / right);

    public static Traced operator +(Traced left, Scalar right) => left + right.ToDouble();

    public static Traced operator -(Traced left, Scalar right) => left - right.ToDouble();

    public static Traced operator *(Traced left, Scalar right) => left * right.ToDouble();

    public static Traced operator *(Scalar left, Traced right) => right * left.ToDouble();

    public static Traced operator /(Traced left, Scalar right) => left / right.ToDouble();
#pragma warning restore CS1591, IDE1006, SA1300

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", Value.shape)}]";
}
