using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lottery.Examples.Models;

/// <summary>The lottery-ticket paper's initialisation of its networks: Glorot-normal weights, zero biases.</summary>
internal static class PaperInitialisation
{
    /// <summary>Initialises each Linear or Conv2d layer's weight with Glorot (Xavier) normal and its bias with zeros.</summary>
    public static void GlorotNormalZeroBias(params nn.Module[] layers)
    {
        using var noGrad = no_grad();
        foreach (var layer in layers)
        {
            var (weight, bias) = layer switch
            {
                Linear linear => (linear.weight!, linear.bias),
                Conv2d conv => (conv.weight!, conv.bias),
                _ => throw new ArgumentException($"{layer.GetType().Name} is not a Linear or Conv2d layer.", nameof(layers)),
            };
            nn.init.xavier_normal_(weight);
            if (bias is not null)
            {
                nn.init.zeros_(bias);
            }
        }
    }
}
