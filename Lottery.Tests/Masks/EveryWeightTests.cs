using Lottery.Criteria;
using Lottery.Masks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Tests.Masks;

/// <summary>A token classifier with an embedding, one TransformerEncoderLayer (whose layers are not modules of their own) and a head.</summary>
internal sealed class TokenClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed = nn.Embedding(20, 16);
    private readonly TransformerEncoderLayer encoder = nn.TransformerEncoderLayer(16, 4, 32, dropout: 0.0);
    private readonly Linear head = nn.Linear(16, 3);

    public TokenClassifier()
        : base(nameof(TokenClassifier)) => RegisterComponents();

    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        return head.forward(encoder.call(embed.forward(tokens)).mean([0])).MoveToOuterDisposeScope();
    }
}

/// <summary>A model with a weight of its own, held by no layer (as positional embeddings are).</summary>
internal sealed class WithOwnWeight : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc = nn.Linear(4, 4);
    private readonly Parameter positions = nn.Parameter(randn(3, 4));

    public WithOwnWeight()
        : base(nameof(WithOwnWeight)) => RegisterComponents();

    public override Tensor forward(Tensor input) => fc.forward(input + positions.sum(0));
}

/// <summary>Every weight can be pruned: embeddings, attention projections and a transformer layer's feed-forward weights, by name.</summary>
public class EveryWeightTests
{
    private static readonly string[] TransformerWeights =
        ["encoder.self_attn.in_proj_weight", "encoder.self_attn.out_proj.weight", "encoder.linear1.weight", "encoder.linear2.weight"];

    [Fact]
    public void A_transformers_attention_and_feed_forward_weights_are_masked_and_their_pruned_entries_stay_zero_through_training()
    {
        manual_seed(7);
        using var model = new TokenClassifier();
        using var masks = MaskSet.Attach(model, new MaskOptions());

        // Every weight is found: the embedding, the transformer layer's (which holds them itself) and the head. Sizes by
        // hand: Q, K, V stacked (3 x 16 x 16), the output projection 16 x 16, the feed-forward 32 x 16 and 16 x 32.
        Assert.Equal(
            [("embed.weight", 20L * 16), ("encoder.self_attn.in_proj_weight", 48L * 16), ("encoder.self_attn.out_proj.weight", 16L * 16), ("encoder.linear1.weight", 32L * 16), ("encoder.linear2.weight", 16L * 32), ("head.weight", 3L * 16)],
            masks.Weights.Select(w => (w.Name, w.Count)));

        using var random = new Generator().manual_seed(3);
        Pruner.Prune(masks, new PruningAmount(0.5, 0.5, ExactTarget: true), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
        masks.ApplyToWeights();
        using var optimizer = optim.Adam(model.parameters(), 0.05);
        using var tokens = randint(0, 20, [5, 8], generator: random);
        using var labels = randint(0, 3, [8], generator: random);
        for (var step = 0; step < 3; step++)
        {
            optimizer.zero_grad();
            using var loss = nn.functional.cross_entropy(model.forward(tokens), labels);
            loss.backward();
            masks.ApplyToGradients();
            optimizer.step();
            masks.ApplyToOptimizerState(optimizer);
            masks.ApplyToWeights();
        }

        foreach (var weight in masks.Weights)
        {
            Assert.Equal(weight.Count / 2, weight.Remaining);
            using var pruned = weight.Parameter.masked_select(weight.Mask.eq(0));
            Assert.Equal(0, pruned.count_nonzero().item<long>());
        }

        // The named parameters the model computes with are the ones masked: the encoder's zeros are its own weights'.
        var linear1 = model.named_parameters().Single(p => p.name == "encoder.linear1.weight").parameter;
        Assert.Equal(masks["encoder.linear1.weight"].Count / 2, linear1.count_nonzero().item<long>());
    }

    [Fact]
    public void Weights_named_one_by_one_are_the_only_ones_masked_when_no_layer_is_asked_for()
    {
        using var model = new TokenClassifier();
        using var masks = MaskSet.Attach(model, new MaskOptions { Layers = [], Parameters = TransformerWeights });
        Assert.Equal(TransformerWeights, masks.Weights.Select(w => w.Name));
    }

    [Fact]
    public void A_weight_no_layer_holds_is_never_skipped_unseen_when_every_layer_is_asked_for()
    {
        using var model = new WithOwnWeight();
        var error = Assert.Throws<ArgumentException>(() => MaskSet.Attach(model, new MaskOptions()));
        Assert.StartsWith("WithOwnWeight has weights no prunable layer holds: positions. Name the ones to prune in MaskOptions.Parameters", error.Message, StringComparison.Ordinal);

        using var chosen = MaskSet.Attach(model, new MaskOptions { Parameters = ["positions"] });
        Assert.Equal(["fc.weight", "positions"], chosen.Weights.Select(w => w.Name));
    }

    [Fact]
    public void A_weight_that_is_not_the_models_is_one_line_naming_it_and_the_models_weights()
    {
        using var model = new TokenClassifier();
        var error = Assert.Throws<ArgumentException>(() => MaskSet.Attach(model, new MaskOptions { Parameters = ["encoder.linear3.weight"] }));
        Assert.StartsWith("MaskOptions.Parameters: TokenClassifier has no parameter 'encoder.linear3.weight'. Its weights: embed.weight, encoder.self_attn.in_proj_weight,", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_pruned_transformer_reads_back_with_its_masks_held_by_name()
    {
        var folder = Directory.CreateTempSubdirectory("lottery-every-weight-");
        try
        {
            var path = Path.Combine(folder.FullName, "tokens.pruned");
            float[] savedMask;
            manual_seed(2);
            using (var saved = new TokenClassifier())
            {
                using var masks = MaskSet.Attach(saved, new MaskOptions());
                using var random = new Generator().manual_seed(1);
                Pruner.Prune(masks, new PruningAmount(0.3, 0.7, ExactTarget: true), PruningScope.Layerwise, PruningCriteria.Magnitude, random);
                masks.ApplyToWeights();
                PrunedModel.Save(saved, masks, path);
                savedMask = masks["encoder.linear1.weight"].Mask.data<float>().ToArray();
            }

            using var loaded = new TokenClassifier();
            using var loadedMasks = MaskSet.Attach(loaded, new MaskOptions());
            PrunedModel.Load(loaded, path, loadedMasks);
            Assert.Equal(savedMask, loadedMasks["encoder.linear1.weight"].Mask.data<float>().ToArray());
            Assert.True(loadedMasks["encoder.linear1.weight"].Remaining < loadedMasks["encoder.linear1.weight"].Count);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
