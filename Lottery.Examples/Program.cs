using Lottery.Data;
using Lottery.Examples.Models;
using Lottery.Experiments;
using Lottery.Schedules;
using Lottery.Training;
using Lottery.Masks;

using var data = DataSets.LoadEmbeddedMnistDigits();
using var split = DataSplit.HoldOutValidation(data, 1000, 1);
var training = new TrainingSettings { Epochs = 3, Seed = 1 };
var pruning = new PruningSettings { Schedule = new IterativeSchedule(0.2, rounds: 3), Masks = new MaskOptions { LayerRates = LeNet300100.PaperLayerRates } };
using var run = new PruningRun(() => new LeNet300100(), training, pruning);
var result = run.Execute(split);
foreach (var r in result.Rounds) Console.WriteLine($"{r.Round} {r.WeightsRemaining:P1} {r.FinalTest.Accuracy:P2} {r.TrainingSeconds:F2}s");
