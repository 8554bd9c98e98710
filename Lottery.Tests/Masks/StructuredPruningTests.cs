using Lottery.Criteria;
using Lottery.Masks;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Masks;

/// <summary>A Linear, a Conv and an output layer, for structured pruning by hand.</summary>
internal sealed class StructuredNet : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d Conv = nn.Conv2d(1, 6, 3);
    public readonly Linear Hidden = nn.Linear(6 * 6 * 6, 12);
    public readonly Linear Wide = nn.Linear(12, 9);
    public readonly Linear Output = nn.Linear(9, 10);

    public StructuredNet()
        : base(nameof(StructuredNet)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(Conv.forward(input.reshape(-1, 1, 8, 8))).flatten(1);
        x = nn.functional.relu(Wide.forward(nn.functional.relu(Hidden.forward(x))));
        return Output.forward(x).MoveToOuterDisposeScope();
    }
}

public sealed class StructuredPruningTests
{
    private static (StructuredNet Model, MaskSet Masks) Create(int seed = 1)
    {
        manual_seed(seed);
        var model = new StructuredNet();
        var masks = MaskSet.Attach(model,
        [
            new PrunableLayer("Conv", model.Conv) { Structure = Structure.Channels },
            new PrunableLayer("Hidden", model.Hidden) { Structure = Structure.Neurons },
            new PrunableLayer("Wide", model.Wide) { Structure = Structure.Neurons },
            new PrunableLayer("Output", model.Output),
        ]);
        return (model, masks);
    }

    /// <summary>Which units (first-dimension rows) of a mask are entirely zero.</summary>
    private static bool[] DeadUnits(Tensor mask)
    {
        var rows = (int)mask.shape[0];
        var values = TestData.Values(mask);
        var width = values.Length / rows;
        return Enumerable.Range(0, rows).Select(r => values.Skip(r * width).Take(width).All(v => v == 0)).ToArray();
    }

    /// <summary>Each row's mean of <paramref name="score"/>, computed here from the weights, not by the pruner.</summary>
    private static double[] RowMeans(Tensor weight, Tensor initial, Func<float, float, double> score)
    {
        var rows = (int)weight.shape[0];
        var w = TestData.Values(weight);
        var w0 = TestData.Values(initial);
        var width = w.Length / rows;
        return Enumerable.Range(0, rows).Select(r => Enumerable.Range(r * width, width).Average(i => score(w[i], w0[i]))).ToArray();
    }

    private static int[] Lowest(double[] scores, int count, bool[]? skip = null) =>
        Enumerable.Range(0, scores.Length).Where(i => skip is null || !skip[i]).OrderBy(i => scores[i]).ThenBy(i => i).Take(count).Order().ToArray();

    [Theory]
    [InlineData(CriterionKind.Magnitude)]
    [InlineData(CriterionKind.LeastChange)]
    [InlineData(CriterionKind.MagnitudeIncrease)]
    public void Layerwise_each_structured_layer_loses_its_lowest_scoring_whole_units(CriterionKind kind)
    {
        var (model, masks) = Create();
        using var _ = model;
        using var __ = masks;
        using (var noGrad = no_grad())
        {
            // Move the weights away from initialisation, so that the change-based criteria differ from magnitude.
            foreach (var p in model.parameters())
            {
                p.add_(randn_like(p) * 0.05);
            }
        }

        Func<float, float, double> score = kind switch
        {
            CriterionKind.Magnitude => (w, _) => Math.Abs(w),
            CriterionKind.LeastChange => (w, w0) => Math.Abs(w - w0),
            _ => (w, w0) => Math.Abs(w) - Math.Abs(w0),
        };
        var expectedConv = Lowest(RowMeans(model.Conv.weight!, masks.InitialWeight(masks["Conv.weight"]), score), 2);    // round(0.25 * 6) = 2 (1.5 away from zero)
        var expectedHidden = Lowest(RowMeans(model.Hidden.weight!, masks.InitialWeight(masks["Hidden.weight"]), score), 3); // round(0.25 * 12) = 3
        var expectedWide = Lowest(RowMeans(model.Wide.weight!, masks.InitialWeight(masks["Wide.weight"]), score), 2);       // round(0.25 * 9) = 2

        using var random = new Generator(1);
        var outputBefore = masks["Output.weight"].Remaining;
        Pruner.Prune(masks, PruningAmount.ByRate(0.25), PruningScope.Layerwise, PruningCriteria.Of(kind), random);

        Assert.Equal(expectedConv, DeadUnits(masks["Conv.weight"].Mask).Select((d, i) => (d, i)).Where(x => x.d).Select(x => x.i));
        Assert.Equal(expectedHidden, DeadUnits(masks["Hidden.weight"].Mask).Select((d, i) => (d, i)).Where(x => x.d).Select(x => x.i));
        Assert.Equal(expectedWide, DeadUnits(masks["Wide.weight"].Mask).Select((d, i) => (d, i)).Where(x => x.d).Select(x => x.i));

        // The bias goes with its unit; the unstructured output layer loses single weights as before.
        Assert.Equal(expectedHidden, TestData.Values(masks["Hidden.bias"].Mask).Select((v, i) => (v, i)).Where(x => x.v == 0).Select(x => x.i));
        Assert.Equal(outputBefore - (long)Math.Round(0.25 * outputBefore, MidpointRounding.AwayFromZero), masks["Output.weight"].Remaining);
        Assert.Equal(0, model.Hidden.bias!.masked_select(masks["Hidden.bias"].Mask.eq(0)).ne(0).sum().item<long>());

        // The bias is masked but not counted: the weights remaining are weights only.
        Assert.Equal(new[] { "Conv.weight", "Hidden.weight", "Wide.weight", "Output.weight" }.Sum(n => masks[n].Count), masks.Count);
    }

    [Theory]
    [InlineData(CriterionKind.Magnitude, PruningScope.Layerwise)]
    [InlineData(CriterionKind.LeastChange, PruningScope.Layerwise)]
    [InlineData(CriterionKind.MagnitudeIncrease, PruningScope.Layerwise)]
    [InlineData(CriterionKind.Random, PruningScope.Layerwise)]
    [InlineData(CriterionKind.Magnitude, PruningScope.Global)]
    [InlineData(CriterionKind.LeastChange, PruningScope.Global)]
    [InlineData(CriterionKind.MagnitudeIncrease, PruningScope.Global)]
    [InlineData(CriterionKind.Random, PruningScope.Global)]
    public void Every_criterion_and_scope_removes_exact_counts_of_whole_units(CriterionKind kind, PruningScope scope)
    {
        var (model, masks) = Create();
        using var _ = model;
        using var __ = masks;
        using (var noGrad = no_grad())
        {
            foreach (var p in model.parameters())
            {
                p.add_(randn_like(p) * 0.05);
            }
        }

        string[] structured = ["Conv.weight", "Hidden.weight", "Wide.weight"];
        using var random = new Generator(3);
        for (var e = 0; e < 3; e++)
        {
            var before = structured.ToDictionary(n => n, n => masks[n].UnitsRemaining);
            Pruner.Prune(masks, PruningAmount.ByRate(0.25), scope, PruningCriteria.Of(kind), random);
            var removed = structured.ToDictionary(n => n, n => before[n] - masks[n].UnitsRemaining);
            if (scope == PruningScope.Layerwise)
            {
                Assert.All(structured, n => Assert.Equal((long)Math.Round(0.25 * before[n], MidpointRounding.AwayFromZero), removed[n]));
            }
            else
            {
                Assert.Equal((long)Math.Round(0.25 * before.Values.Sum(), MidpointRounding.AwayFromZero), removed.Values.Sum());
            }

            // Whole units only: every row of a structured mask is all kept or all gone, and its bias entry with it.
            foreach (var name in structured)
            {
                var weight = masks[name];
                Assert.Equal(weight.UnitsRemaining * (weight.Count / weight.Units), weight.Remaining);
                Assert.Equal(weight.UnitsRemaining, masks[name.Replace("weight", "bias", StringComparison.Ordinal)].Remaining);
            }
        }
    }

    [Fact]
    public void Counts_are_in_units_event_after_event_and_a_target_counts_units()
    {
        var (model, masks) = Create();
        using var _ = model;
        using var __ = masks;
        using var random = new Generator(1);
        var hidden = masks["Hidden.weight"];
        var expected = 12L;
        for (var e = 0; e < 4; e++)
        {
            Pruner.Prune(masks, PruningAmount.ByRate(0.2), PruningScope.Layerwise, PruningCriteria.Random, random);
            expected -= (long)Math.Round(0.2 * expected, MidpointRounding.AwayFromZero);
            Assert.Equal(expected, hidden.UnitsRemaining);
            Assert.Equal(expected * hidden.Parameter.shape[1], hidden.Remaining);   // whole rows only
        }

        // To 25% remaining: round(0.25 * 12) = 3 neurons, round(0.25 * 6) = 2 channels (1.5 away from zero).
        Pruner.Prune(masks, PruningAmount.ToRemaining(0.25), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
        Assert.Equal(3, hidden.UnitsRemaining);
        Assert.Equal(2, masks["Conv.weight"].UnitsRemaining);
    }

    [Fact]
    public void A_global_scope_ranks_the_structured_layers_units_together_by_their_mean_score()
    {
        var (model, masks) = Create();
        using var _ = model;
        using var __ = masks;

        // Give Wide much smaller weights: a global ranking must take its units first.
        using (var noGrad = no_grad())
        {
            model.Wide.weight!.mul_(0.01);
        }

        var all = new[] { "Conv.weight", "Hidden.weight", "Wide.weight" }
            .SelectMany(n => RowMeans(masks[n].Parameter, masks.InitialWeight(masks[n]), (w, _) => Math.Abs(w)).Select((s, i) => (Name: n, Row: i, Score: s)))
            .ToList();
        var count = (int)Math.Round(0.3 * all.Count, MidpointRounding.AwayFromZero);   // 27 units, 8 go
        var doomed = all.Select((u, order) => (u, order)).OrderBy(x => x.u.Score).ThenBy(x => x.order).Take(count).Select(x => (x.u.Name, x.u.Row)).ToHashSet();

        using var random = new Generator(1);
        Pruner.Prune(masks, PruningAmount.ByRate(0.3), PruningScope.Global, PruningCriteria.Magnitude, random);

        foreach (var name in new[] { "Conv.weight", "Hidden.weight", "Wide.weight" })
        {
            var dead = DeadUnits(masks[name].Mask);
            for (var row = 0; row < dead.Length; row++)
            {
                Assert.Equal(doomed.Contains((name, row)), dead[row]);
            }
        }

        Assert.Equal(8, count);
        Assert.Equal(8, DeadUnits(masks["Wide.weight"].Mask).Count(d => d));   // the shrunken layer's units went first
    }

    [Fact]
    public void Pruned_units_and_their_biases_stay_exactly_zero_through_training()
    {
        using var data = TestData.SmallDigits(train: 600, validation: 60, test: 60);
        var training = new TrainingSettings { Epochs = 3, BatchSize = 20, Seed = 2 };
        var pruning = new PruningSettings
        {
            Schedule = new EveryEpochSchedule(0.3, 0.2),
            Rewind = Rewind.None,
            Masks = new MaskOptions { LayerStructures = new Dictionary<string, Structure> { ["first"] = Structure.Neurons } },
        };
        using var run = new PruningRun(() => new TwoLayerNet(784, 40, 10), training, pruning);
        var violations = 0L;
        var steps = 0;
        run.Hooks.Add(new AfterEachBatch(() =>
        {
            using var scope = NewDisposeScope();
            foreach (var w in run.Masks!.Weights)
            {
                violations += w.Parameter.detach().masked_select(w.Mask.eq(0)).ne(0).sum().item<long>();
            }

            steps++;
        }));
        run.Execute(data);

        var first = run.Masks!["first.weight"];
        Assert.Equal(3 * 30, steps);
        Assert.Equal(0, violations);
        Assert.True(first.UnitsRemaining < 40, "neurons were pruned");
        Assert.Equal(first.UnitsRemaining * 784, first.Remaining);
        Assert.Equal(first.UnitsRemaining, run.Masks!["first.bias"].Remaining);
    }

    [Fact]
    public void A_structure_that_does_not_fit_the_layer_is_refused_naming_it()
    {
        manual_seed(1);
        using var model = new StructuredNet();
        var error = Assert.Throws<ArgumentException>(() => MaskSet.Attach(model, [new PrunableLayer("Conv", model.Conv) { Structure = Structure.Neurons }]));
        Assert.Contains("StructuredNet.Conv is a Conv2d declared Structure = Neurons", error.Message, StringComparison.Ordinal);
        Assert.Contains("Use Channels", error.Message, StringComparison.Ordinal);
    }

    private sealed class AfterEachBatch(Action action) : ITrainingHooks
    {
        public void AfterBatch(BatchProgress progress) => action();
    }
}
