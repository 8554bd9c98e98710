using Lottery.CommandLine;
using Lottery.Examples.Commands;

// Lottery's command line with the reference experiments declared in this program, and two commands of its own that
// measure its LeNet-300-100.
return LotteryCommandLine.Run(args, new LotteryHostOptions
{
    Experiments = [typeof(Program).Assembly],
    DefaultExperiment = "lenet-300-100-mnist-digits",
    Description = "Lottery: lottery-ticket and pruning experiments on TorchSharp. With no command, runs `run lenet-300-100-mnist-digits`: the hypothesis comparison of LeNet-300-100 on the embedded MNIST digits, 3 seeds, results under ./results.",
    Commands = [ImpCommand.Create(), BenchmarkCommand.Create()],
});
