// Every `lottery` command (run with workers, task, sweep, report, list, inference, export, compact) for this program's experiments.
return Lottery.CommandLine.LotteryCommandLine.Run(args);
