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
        var program = new Option<string?>("--command") { Description = "How the cluster's nodes start lottery (default: the command that started this program, which must be reachable there)." };
        var image = new Option<string>("--image") { Description = "Container image of the Kubernetes jobs, with lottery as its entry point.", DefaultValueFactory = _ => "lottery:latest" };
        var claim = new Option<string>("--volume-claim") { Description = "PersistentVolumeClaim holding the results folder, shared by the Kubernetes jobs' pods.", DefaultValueFactory = _ => "lottery-results" };
        var submit = new Option<bool>("--submit") { Description = "Submit the Slurm stages with sbatch after writing them." };
        CommonOptions.Require(perTask, v => v >= 1, "each task trains at least 1 run");
        CommonOptions.Require(cpus, v => v >= 1, "a task needs at least 1 core");
        CommonOptions.Require(parallel, v => v is null or >= 1, "at least 1 task must run at once");

        var command = new Command("sweep", "Writes an experiment as a cluster sweep: a Slurm job array (and a Kubernetes Indexed Job) per stage, each task running `lottery task` with its index on the shared --out folder, and submit scripts that start each stage after the one before; --submit submits to Slurm. `lottery report` shows what has finished at any time.");
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
            var lottery = parse.GetValue(program) ?? string.Join(' ', LocalWorkers.SelfCommand().Select(Shell.Quote));
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

            Console.WriteLine($"While it runs and after: {string.Join(' ', LocalWorkers.SelfCommand().Select(Shell.Quote).Append("report").Concat(experimentOptions.Arguments(parse, withClaims: false).Select(Shell.Quote)))}");
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
            var (code, output) = Shell.Run("sbatch", arguments, folder);
            if (code != 0)
            {
                throw new InvalidOperationException($"sbatch could not submit {script} (exit code {code}): {output.Trim().Split('\n')[^1]}");
            }

            previous = output.Trim().Split(';')[0];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stage {stage}: job {previous} ({sweep.Tasks(stage)} tasks)"));
        }
    }
}

/// <summary>Resources of one Slurm array task.</summary>
internal sealed record SlurmSettings(string? Partition, string? Account, string? Time, int CpusPerTask, string? Memory, int? MaxParallel, IReadOnlyList<string> Extra);

/// <summary>The files of a sweep: Slurm job arrays and Kubernetes Indexed Jobs, one per stage, and their submit scripts.</summary>
internal static class SweepScripts
{
    /// <summary>The name of stage <paramref name="stage"/>'s Slurm script.</summary>
    public static string SlurmScript(int stage) => string.Create(CultureInfo.InvariantCulture, $"stage-{stage}.sbatch");

    /// <summary>Writes the Slurm scripts to <paramref name="folder"/> and returns the path of <c>submit.sh</c>.</summary>
    public static string WriteSlurm(SweepPlan sweep, string folder, string lottery, IReadOnlyList<string> taskArguments, SlurmSettings settings)
    {
        var logs = Path.Combine(folder, "logs");
        Directory.CreateDirectory(logs);
        var submit = new StringBuilder()
            .AppendLine("#!/usr/bin/env bash")
            .AppendLine($"# Submits the sweep of experiment {sweep.Experiment.Name}: each stage's job array starts when every task of the stage before has succeeded.")
            .AppendLine("set -euo pipefail")
            .AppendLine("cd \"$(dirname \"$0\")\"")
            .AppendLine("previous=\"\"");
        for (var stage = 0; stage < sweep.Stages.Count; stage++)
        {
            var tasks = sweep.Tasks(stage);
            var name = $"lottery-{sweep.Experiment.Name}-stage-{stage}";
            var script = new StringBuilder()
                .AppendLine("#!/usr/bin/env bash")
                .AppendLine(FormattableString.Invariant($"#SBATCH --job-name={Shell.Quote(name)}"))
                .AppendLine(FormattableString.Invariant($"#SBATCH --array=0-{tasks - 1}{(settings.MaxParallel is { } most ? $"%{most}" : string.Empty)}"))
                .AppendLine(FormattableString.Invariant($"#SBATCH --cpus-per-task={settings.CpusPerTask}"))
                .AppendLine("#SBATCH --ntasks=1")
                .AppendLine($"#SBATCH --output={Shell.Quote(Path.Combine(logs, $"stage-{stage}-%a.out"))}");
            AddIf(script, "--partition", settings.Partition);
            AddIf(script, "--account", settings.Account);
            AddIf(script, "--time", settings.Time);
            AddIf(script, "--mem", settings.Memory);
            foreach (var option in settings.Extra)
            {
                script.AppendLine($"#SBATCH {option}");
            }

            script
                .AppendLine(sweep.RunsPerTask == 1
                    ? FormattableString.Invariant($"# Stage {stage} of experiment {sweep.Experiment.Name}: {sweep.Stages[stage].Count} runs; task i trains run i of the stage.")
                    : FormattableString.Invariant($"# Stage {stage} of experiment {sweep.Experiment.Name}: {sweep.Stages[stage].Count} runs, {sweep.RunsPerTask} per task; task i trains runs i*{sweep.RunsPerTask} to i*{sweep.RunsPerTask}+{sweep.RunsPerTask - 1} of the stage."))
                .AppendLine("# Every task claims its runs in the shared results folder: a task run twice, or beside `lottery run`, trains nothing twice.")
                .AppendLine("set -euo pipefail")
                .AppendLine($"exec {lottery} task {string.Join(' ', taskArguments.Select(Shell.Quote))} --stage {stage.ToString(CultureInfo.InvariantCulture)}");
            File.WriteAllText(Path.Combine(folder, SlurmScript(stage)), script.ToString());
            submit
                .AppendLine(FormattableString.Invariant($"job=$(sbatch --parsable ${{previous:+--dependency=afterok:$previous --kill-on-invalid-dep=yes}} {SlurmScript(stage)})"))
                .AppendLine("previous=${job%%;*}")
                .AppendLine(FormattableString.Invariant($"echo \"stage {stage}: job $previous ({tasks} tasks)\""));
        }

        var path = Path.Combine(folder, "submit.sh");
        File.WriteAllText(path, submit.ToString());
        Executable(path);
        return path;
    }

    /// <summary>Writes one Indexed Job per stage to <paramref name="folder"/> and returns the path of <c>submit.sh</c>, which applies them in order.</summary>
    public static string WriteKubernetes(SweepPlan sweep, string folder, string image, string volumeClaim, IReadOnlyList<string> taskArguments, string results, int cpus)
    {
        Directory.CreateDirectory(folder);
        const string mount = "/results";

        // In the pods the results folder is the claim's mount; every other argument is as given.
        var arguments = taskArguments.ToList();
        var at = arguments.IndexOf("--out");
        arguments[at + 1] = mount;
        var submit = new StringBuilder()
            .AppendLine("#!/usr/bin/env bash")
            .AppendLine($"# Applies the sweep of experiment {sweep.Experiment.Name}: each stage's Indexed Job after the one before has completed.")
            .AppendLine($"# The PersistentVolumeClaim {volumeClaim} holds the results folder ({results} here), mounted at {mount} in every pod.")
            .AppendLine("# A stage's Job is created anew each time (a finished Job is not run again by kubectl apply): run this again after a failure.")
            .AppendLine("set -euo pipefail")
            .AppendLine("cd \"$(dirname \"$0\")\"")
            .AppendLine("finish() {")
            .AppendLine("  while true; do")
            .AppendLine("    state=$(kubectl get job \"$1\" -o jsonpath='{.status.conditions[?(@.status==\"True\")].type}')")
            .AppendLine("    case \"$state\" in")
            .AppendLine("      *Complete*) echo \"$1: complete\"; return 0 ;;")
            .AppendLine("      *Failed*) echo \"$1 failed: kubectl describe job $1; its finished runs are kept, run this script again\" >&2; return 1 ;;")
            .AppendLine("    esac")
            .AppendLine("    sleep 10")
            .AppendLine("  done")
            .AppendLine("}");
        for (var stage = 0; stage < sweep.Stages.Count; stage++)
        {
            var name = Kubernetes($"lottery-{sweep.Experiment.Name}", FormattableString.Invariant($"-stage-{stage}"));
            var tasks = sweep.Tasks(stage);
            List<string> args = ["task", .. arguments, "--stage", stage.ToString(CultureInfo.InvariantCulture)];
            var yaml = new StringBuilder()
                .AppendLine($"# Stage {stage} of experiment {sweep.Experiment.Name}: {sweep.Stages[stage].Count} runs, {sweep.RunsPerTask} per pod; each pod's JOB_COMPLETION_INDEX names its runs.")
                .AppendLine("apiVersion: batch/v1")
                .AppendLine("kind: Job")
                .AppendLine("metadata:")
                .AppendLine($"  name: {name}")
                .AppendLine("spec:")
                .AppendLine("  completionMode: Indexed")
                .AppendLine(FormattableString.Invariant($"  completions: {tasks}"))
                .AppendLine(FormattableString.Invariant($"  parallelism: {tasks}"))
                .AppendLine(FormattableString.Invariant($"  backoffLimit: {2 * tasks}"))
                .AppendLine("  template:")
                .AppendLine("    spec:")
                .AppendLine("      restartPolicy: Never")
                .AppendLine("      containers:")
                .AppendLine("        - name: lottery")
                .AppendLine($"          image: {Yaml(image)}")
                .AppendLine($"          args: [{string.Join(", ", args.Select(Yaml))}]")
                .AppendLine("          resources:")
                .AppendLine("            requests:")
                .AppendLine(FormattableString.Invariant($"              cpu: \"{cpus}\""));
            if (sweep.Experiment.Training.Device is { } device && device.StartsWith("cuda", StringComparison.Ordinal))
            {
                // A GPU run needs a GPU node: one NVIDIA GPU a pod (the image must hold TorchSharp's CUDA package).
                yaml.AppendLine("            limits:").AppendLine("              nvidia.com/gpu: 1");
            }

            yaml
                .AppendLine("          volumeMounts:")
                .AppendLine("            - name: results")
                .AppendLine($"              mountPath: {mount}")
                .AppendLine("      volumes:")
                .AppendLine("        - name: results")
                .AppendLine("          persistentVolumeClaim:")
                .AppendLine($"            claimName: {Yaml(volumeClaim)}");
            var file = string.Create(CultureInfo.InvariantCulture, $"stage-{stage}.yaml");
            File.WriteAllText(Path.Combine(folder, file), yaml.ToString());
            submit
                .AppendLine($"kubectl delete job {name} --ignore-not-found")
                .AppendLine($"kubectl create -f {file}")
                .AppendLine($"finish {name}");
        }

        var path = Path.Combine(folder, "submit.sh");
        File.WriteAllText(path, submit.ToString());
        Executable(path);
        return path;
    }

    private static void Executable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
        }
    }

    private static void AddIf(StringBuilder script, string option, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            script.AppendLine($"#SBATCH {option}={value}");
        }
    }

    /// <summary>A Kubernetes object name: lower-case letters, digits and dashes, at most 63 characters, <paramref name="suffix"/> always kept whole.</summary>
    private static string Kubernetes(string name, string suffix)
    {
        var cleaned = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        var room = 63 - suffix.Length;
        return (cleaned.Length <= room ? cleaned : cleaned[..room].TrimEnd('-')) + suffix;
    }

    /// <summary>A YAML string in double quotes.</summary>
    private static string Yaml(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

/// <summary>Running and quoting shell commands.</summary>
internal static class Shell
{
    /// <summary><paramref name="value"/> as one shell word: as it is when it is plain, in single quotes otherwise.</summary>
    public static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=+,@%".Contains(c, StringComparison.Ordinal))
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Runs <paramref name="program"/> and returns its exit code and output; a program that is not installed is an error saying so.</summary>
    public static (int Code, string Output) Run(string program, IEnumerable<string> arguments, string folder)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, output.Result + errors.Result);
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException($"{program} cannot be started ({error.Message}): is Slurm installed here and on PATH? Submit {folder}/submit.sh on the cluster's login node instead.", error);
        }
    }
}
