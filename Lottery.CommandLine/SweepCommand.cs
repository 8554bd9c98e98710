using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lottery.Experiments;

namespace Lottery.CommandLine;

/// <summary>
/// Writes an experiment as a sweep for a cluster: per stage, a Slurm job-array script and a Kubernetes Indexed Job,
/// each task running `lottery task` with its index on the shared results folder; a script that submits the stages
/// in order (each stage after the one before has finished); and with --submit, submits them with sbatch.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var experimentOptions = new ExperimentOptions();
        var slurm = new Option<bool>("--slurm") { Description = "Write the Slurm job arrays (with neither --slurm nor --kubernetes, both are written)." };
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Write the Kubernetes Indexed Jobs." };
        var perTask = new Option<int>("--runs-per-task") { Description = "Runs each array task trains, one after another.", DefaultValueFactory = _ => 1 };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition (#SBATCH --partition)." };
        var account = new Option<string?>("--account") { Description = "Slurm account (#SBATCH --account)." };
        var time = new Option<string?>("--time") { Description = "Time limit of one task (#SBATCH --time), for example 02:00:00." };
        var cpus = new Option<int>("--cpus-per-task") { Description = "Cores of one task (#SBATCH --cpus-per-task); its threads are --threads (default 1, which keeps the figures the same on any machine).", DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.WorkerThreads();
        var memory = new Option<string?>("--mem") { Description = "Memory of one task (#SBATCH --mem), for example 4G." };
        var parallel = new Option<int?>("--max-parallel") { Description = "Tasks of one array that run at once at most (#SBATCH --array=...%N)." };
        var extra = new Option<string[]>("--sbatch-option") { Description = "Another #SBATCH option, as sbatch takes it (for example --gres=gpu:1); repeat for more.", AllowMultipleArgumentsPerToken = false };
        var program = new Option<string?>("--command") { Description = $"How the cluster's nodes start {HostProgram.Name} (default: the command that started this program, which must be reachable there)." };
        var image = new Option<string>("--image") { Description = "Container image of the Kubernetes jobs, with lottery as its entry point.", DefaultValueFactory = _ => "lottery:latest" };
        var claim = new Option<string>("--volume-claim") { Description = "PersistentVolumeClaim holding the results folder, shared by the Kubernetes jobs' pods.", DefaultValueFactory = _ => "lottery-results" };
        var submit = new Option<bool>("--submit") { Description = "Submit the Slurm stages with sbatch after writing them." };
        CommonOptions.Require(perTask, v => v >= 1, "each task trains at least 1 run");
        CommonOptions.Require(cpus, v => v >= 1, "a task needs at least 1 core");
        CommonOptions.Require(parallel, v => v is null or >= 1, "at least 1 task must run at once");

        var command = new Command("sweep", $"Writes an experiment as a cluster sweep: a Slurm job array (and a Kubernetes Indexed Job) per stage, each task running {HostProgram.Command("task")} with its index on the shared --out folder, and submit scripts that start each stage after the one before; --submit submits to Slurm. {HostProgram.Command("report")} shows what has finished at any time.");
        experimentOptions.AddTo(command);
        foreach (var option in new Option[] { slurm, kubernetes, perTask, threads, partition, account, time, cpus, memory, parallel, extra, program, image, claim, submit })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var experiment = experimentOptions.Experiment(parse);
            var sweep = SweepPlan.Create(experiment, parse.GetValue(perTask));
            var results = CommonOptions.WritableFolder(experimentOptions.Output(parse));
            var folder = Path.Combine(results, experiment.Name, "sweep");
            var both = !parse.GetValue(slurm) && !parse.GetValue(kubernetes);
            var taskArguments = experimentOptions.Arguments(parse);
            taskArguments.AddRange(["--runs-per-task", sweep.RunsPerTask.ToString(CultureInfo.InvariantCulture), "--threads", (parse.GetValue(threads) ?? 1).ToString(CultureInfo.InvariantCulture)]);
            var lottery = parse.GetValue(program) ?? string.Join(' ', LocalWorkers.SelfCommand().Select(SweepScripts.Quote));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{experiment.Name}: {sweep.Plan.Count} runs in {sweep.Stages.Count} stage{(sweep.Stages.Count == 1 ? string.Empty : "s")}, {sweep.RunsPerTask} run{(sweep.RunsPerTask == 1 ? string.Empty : "s")} per task:"));
            for (var stage = 0; stage < sweep.Stages.Count; stage++)
            {
                var arms = sweep.Stages[stage].Select(i => sweep.Plan[i].Arm.Name).Distinct();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  stage {stage}: {sweep.Tasks(stage)} tasks ({string.Join(", ", arms)}), the longest {sweep.LongestTaskEpochs(stage)} epochs"));
            }

            string? slurmSubmit = null;
            if (both || parse.GetValue(slurm))
            {
                var settings = new SlurmSettings(parse.GetValue(partition), parse.GetValue(account), parse.GetValue(time), parse.GetValue(cpus), parse.GetValue(memory), parse.GetValue(parallel), parse.GetValue(extra) ?? []);
                slurmSubmit = SweepScripts.WriteSlurm(sweep, Path.Combine(folder, "slurm"), lottery, taskArguments, settings);
                Console.WriteLine($"Slurm: {slurmSubmit} submits the stages (sbatch, each stage after the one before succeeded).");
            }

            if (both || parse.GetValue(kubernetes))
            {
                var manifests = SweepScripts.WriteKubernetes(sweep, Path.Combine(folder, "kubernetes"), parse.GetValue(image)!, parse.GetValue(claim)!, taskArguments, results, parse.GetValue(cpus));
                Console.WriteLine($"Kubernetes: {manifests} applies the stages (kubectl, each stage after the one before completed).");
            }

            Console.WriteLine($"While it runs and after: {string.Join(' ', LocalWorkers.SelfCommand().Select(SweepScripts.Quote).Append("report").Concat(experimentOptions.Arguments(parse, withClaims: false).Select(SweepScripts.Quote)))}");
            Console.WriteLine("A task that fails (a time limit, a lost node) leaves its run to resume: submit the same sweep again, and finished runs are read back.");
            if (parse.GetValue(submit))
            {
                if (slurmSubmit is null)
                {
                    throw new ArgumentException("--submit submits to Slurm: write the Slurm scripts too (--slurm).");
                }

                Submit(sweep, Path.GetDirectoryName(slurmSubmit)!);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Submits every stage with sbatch, each depending on the one before, and prints the job ids.</summary>
    private static void Submit(SweepPlan sweep, string folder)
    {
        string? previous = null;
        for (var stage = 0; stage < sweep.Stages.Count; stage++)
        {
            var script = Path.Combine(folder, SweepScripts.SlurmScript(stage));
            List<string> arguments = ["--parsable"];
            if (previous is not null)
            {
                arguments.AddRange([$"--dependency=afterok:{previous}", "--kill-on-invalid-dep=yes"]);
            }

            arguments.Add(script);
            var (code, output) = ExternalProgram.Run("sbatch", arguments, folder);
            if (code != 0)
            {
                throw new InvalidOperationException($"sbatch could not submit {script} (exit code {code}): {output.Trim().Split('\n')[^1]}");
            }

            previous = output.Trim().Split(';')[0];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stage {stage}: job {previous} ({sweep.Tasks(stage)} tasks)"));
        }
    }
}
