using Lottery.Data;
using Lottery.Masks;
using Lottery.Results;
using Lottery.Runs;
using Lottery.Schedules;
using Lottery.Training;

namespace Lottery.Experiments;


/// <summary>One run of an experiment, trained by a worker that holds its claim: its masks or weights from the runs it derives from, its hooks, its record; and the data of one seed at a time.</summary>
public static partial class ExperimentRunner
{
    private static RunResult Train(ExperimentDefinition experiment, PlanState state, RunSpec spec, DataSplit split, PlannedRun planned, RunClaim claim, IExperimentProgress? progress)
    {
        var store = state.Store;
        var settings = spec.Method.ToSettings();
        if (spec.StartMask is not null)
        {
            settings = settings with { Schedule = new FixedMaskSchedule() };
        }

        var checkpoints = store.Begin(spec, claim);
        if (progress is not null)
        {
            checkpoints.Rejected += progress.Warning;
        }

        var owner = claim.Holder.Owner;
        var resumed = false;
        checkpoints.Resumed += path =>
        {
            resumed = true;
            store.Log(spec.Id, owner, $"resumed from {Path.GetFileName(path)}");
        };

        using var run = new PruningRun(experiment.CreateModel, spec.Training, settings);
        if (spec.StartMask is { } start)
        {
            var masks = store.LoadMasks(start.Run, start.Round);
            using var weights = spec.StartWeights is { } from ? WeightSnapshot.Load(store.WeightsPath(from.Run, from.Epoch)) : null;
            try
            {
                if (start.ShuffleSeed is { } shuffle)
                {
                    MaskShuffle.WithinEachMask(masks, shuffle, run.Masks);
                }

                run.StartFrom(masks, weights);
            }
            finally
            {
                foreach (var mask in masks.Values)
                {
                    mask.Dispose();
                }
            }
        }

        var keepWeights = state.WeightEpochs(planned.Arm);
        if (keepWeights.Count > 0)
        {
            run.Hooks.Add(store.SaveWeightsAfterEpochs(spec.Id, run.Model, keepWeights));
        }

        if (run.Masks is not null)
        {
            run.Hooks.Add(store.SaveArtifactsEachRound(spec.Id, run));
        }

        if (progress is not null)
        {
            run.Hooks.Add(new EpochProgress(progress, planned));
        }

        run.Hooks.Add(new BeganLog(() =>
        {
            if (!resumed)
            {
                // What LibTorch itself reports, so a run's history shows the kernels that computed it in this process.
                store.Log(spec.Id, owner, $"began ({Lottery.Native.Numerics.NameOf(Lottery.Native.Numerics.Profile)} numerics, LibTorch's {Lottery.Native.Numerics.CpuCapability ?? "unknown"} kernels)");
            }
        }));
        try
        {
            var result = run.Execute(split, checkpoints);
            store.Finish(spec.Id, result, claim);
            store.Log(spec.Id, owner, "finished");
            return result;
        }
        catch (IOException error) when (!claim.StillHeld())
        {
            // Another worker took the run over (and has cleared or replaced its files), or the claim was removed from outside.
            throw claim.LostException(error.Message);
        }
    }

    /// <summary>The training and validation data of one seed at a time: a worker switching seeds splits again.</summary>
    private sealed class SeedData(ExperimentDefinition experiment) : IDisposable
    {
        private TrainTestData? loaded;
        private DataSplit? split;
        private long seed;

        /// <summary>Loads the data once and checks that it fits the model.</summary>
        public TrainTestData Load() => loaded ??= Checked(experiment);

        public DataSplit For(long wanted)
        {
            if (split is null || seed != wanted)
            {
                split?.Dispose();
                split = null;
                split = DataSplit.HoldOutValidation(Load(), experiment.ValidationCount, wanted);
                seed = wanted;
            }

            return split;
        }

        public void Dispose()
        {
            split?.Dispose();
            loaded?.Dispose();
        }

        private static TrainTestData Checked(ExperimentDefinition experiment)
        {
            var data = experiment.Data.Load();
            try
            {
                ModelFit.Check(experiment.CreateModel, experiment.Data, data);
                return data;
            }
            catch
            {
                data.Dispose();
                throw;
            }
        }
    }

    private sealed class EpochProgress(IExperimentProgress progress, PlannedRun run) : ITrainingHooks
    {
        public void AfterEpoch(EpochMetrics metrics) => progress.Epoch(run, metrics);
    }

    private sealed class BeganLog(Action began) : ITrainingHooks
    {
        private bool done;

        public void BeforeRound(int round, double weightsRemaining)
        {
            if (!done)
            {
                done = true;
                began();
            }
        }
    }
}
