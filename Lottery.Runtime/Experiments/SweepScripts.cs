using System.Globalization;
using System.Text;

namespace Lottery.Experiments;

/// <summary>Resources of one Slurm array task.</summary>
public sealed record SlurmSettings(string? Partition, string? Account, string? Time, int CpusPerTask, string? Memory, int? MaxParallel, IReadOnlyList<string> Extra);

/// <summary>The files of a sweep: Slurm job arrays and Kubernetes Indexed Jobs, one per stage, and their submit scripts.</summary>
public static class SweepScripts
{
    /// <summary><paramref name="value"/> as one shell word: as it is when it is plain, in single quotes otherwise.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=+,@%".Contains(c, StringComparison.Ordinal))
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

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
                .AppendLine(FormattableString.Invariant($"#SBATCH --job-name={Quote(name)}"))
                .AppendLine(FormattableString.Invariant($"#SBATCH --array=0-{tasks - 1}{(settings.MaxParallel is { } most ? $"%{most}" : string.Empty)}"))
                .AppendLine(FormattableString.Invariant($"#SBATCH --cpus-per-task={settings.CpusPerTask}"))
                .AppendLine("#SBATCH --ntasks=1")
                .AppendLine($"#SBATCH --output={Quote(Path.Combine(logs, $"stage-{stage}-%a.out"))}");
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
                .AppendLine($"# Every task claims its runs in the shared results folder: a task run twice, or beside {HostProgram.Command("run")}, trains nothing twice.")
                .AppendLine("set -euo pipefail")
                .AppendLine($"exec {lottery} task {string.Join(' ', taskArguments.Select(Quote))} --stage {stage.ToString(CultureInfo.InvariantCulture)}");
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
