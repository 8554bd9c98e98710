// One home for this vocabulary: compiled into Lottery.Runtime, and into Lottery.Generators (in a namespace of its own,
// so that an assembly seeing both has one OptimizerKind), which reads declarations by these names.
#if LOTTERY_GENERATOR
namespace Lottery.Generators.Vocabulary;
#else
namespace Lottery.Training;
#endif

/// <summary>The optimizers the trainer can build.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (Kingma and Ba), L2 weight decay added to the gradient.</summary>
    Adam,

    /// <summary>Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.</summary>
    Sgd,
}
