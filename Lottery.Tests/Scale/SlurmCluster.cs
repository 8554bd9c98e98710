using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Lottery.Tests.Scale;

/// <summary>
/// A real one-node Slurm cluster on this machine, started for one test: munged, slurmctld and slurmd run as this
/// process's children with every file (key, sockets, configuration, state, spool, logs) under one folder, on free
/// ports, so it touches nothing of a system-wide Slurm or munge and several can run one after another.
/// Dispose stops them by process id. Independent of the rest of Lottery (BCL and xunit only).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class SlurmCluster : IDisposable
{
    private const string InstallHint = "run `bash scripts/install-slurm.sh` (apt-get install slurm-wlm munge)";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly string[] Programs = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"];

    // Inherited settings of another cluster (say, a CI runner inside a Slurm job) must not reach this one's programs:
    // sbatch reads SBATCH_* as options, every client reads SLURM_CONF and SLURM_* defaults.
    private static readonly string[] ForeignPrefixes = ["SLURM_", "SBATCH_", "SALLOC_", "SRUN_", "SQUEUE_", "SINFO_", "SCONTROL_", "SCANCEL_"];

    private readonly string folder;
    private readonly Dictionary<string, string> environment;
    private readonly List<Daemon> daemons = [];
    private bool disposed;

    private SlurmCluster(string folder, string configuration)
    {
        this.folder = folder;
        ConfigurationFile = configuration;
        environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SLURM_CONF"] = configuration };
    }

    /// <summary>The generated slurm.conf (also in <see cref="Environment"/> as SLURM_CONF).</summary>
    public string ConfigurationFile { get; }

    /// <summary>The short host name that is both the controller and the only node (partition <c>debug</c>).</summary>
    public string NodeName { get; private set; } = "";

    /// <summary>
    /// What a Slurm client (sbatch, squeue, scontrol, scancel, sinfo) needs to reach this cluster: SLURM_CONF. Programs
    /// started by <see cref="Client"/> also lose any inherited SLURM_*/SBATCH_* variable, which would point elsewhere.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment => environment;

    /// <summary>
    /// Starts munged, slurmctld and slurmd with everything under <paramref name="folder"/> (created if missing; the caller
    /// deletes it) and returns once the node is idle. Throws <see cref="InvalidOperationException"/> saying what failed and
    /// how to fix it (Slurm not installed, a daemon that exited, with its last output lines, or a node that never came up);
    /// whatever it had started is stopped first.
    /// </summary>
    public static SlurmCluster Start(string folder)
    {
        var missing = Programs.Where(p => FindProgram(p) is null).ToList();
        if (missing.Count > 0)
        {
            // The test command sets up what it needs: Debian's slurm-wlm and munge, once, with the project's script.
            InstallOnce();
            missing = Programs.Where(p => FindProgram(p) is null).ToList();
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"Slurm is not installed ({string.Join(", ", missing)} not found on PATH, /usr/sbin or /sbin) and the test could not install it ({InstallOnce()}): {InstallHint}.");
        }

        folder = Path.GetFullPath(folder);
        var cluster = new SlurmCluster(folder, Path.Combine(folder, "slurm.conf"));
        try
        {
            cluster.StartDaemons();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private static readonly Lazy<string> Installation = new(() =>
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "scripts", "install-slurm.sh")))
        {
            folder = folder.Parent;
        }

        if (folder is null)
        {
            return "scripts/install-slurm.sh was not found above " + AppContext.BaseDirectory;
        }

        var script = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        script.ArgumentList.Add(Path.Combine(folder.FullName, "scripts", "install-slurm.sh"));
        using var process = Process.Start(script)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return process.ExitCode == 0 ? string.Empty : $"scripts/install-slurm.sh failed (exit code {process.ExitCode}): {string.Join(' ', (output.Result + error.Result).Trim().Split('\n').TakeLast(3))}";
    });

    /// <summary>Installs Slurm and munge with the project's script, once per test run; returns why not when it fails.</summary>
    private static string InstallOnce() => Installation.Value;

    /// <summary>
    /// Runs a Slurm client (by name, such as "squeue", or a path) against this cluster and returns its exit code with its
    /// standard output followed by its standard error. Throws <see cref="TimeoutException"/> if it runs over a minute.
    /// </summary>
    public (int Code, string Output) Client(string program, params string[] args)
    {
        var (code, output, error) = Run(program, args);
        return (code, output + error);
    }

    /// <summary>
    /// Submits a batch script with <c>sbatch --parsable</c> (<paramref name="extraArgs"/> go before the script) and returns
    /// the job id; for a job array, the array's job id. Throws with sbatch's output if it fails.
    /// </summary>
    public string Submit(string scriptPath, params string[] extraArgs)
    {
        var (code, output, error) = Run("sbatch", ["--parsable", .. extraArgs, scriptPath]);

        // --parsable prints "jobid" or "jobid;cluster".
        var id = output.Trim().Split('\n').LastOrDefault()?.Split(';')[0].Trim() ?? "";
        if (code != 0 || !JobIdPattern().IsMatch(id))
        {
            throw new InvalidOperationException($"sbatch {string.Join(' ', extraArgs)} {scriptPath} failed (exit code {code}):\n{output}{error}");
        }

        return id;
    }

    /// <summary>
    /// Waits until none of <paramref name="jobIds"/> (array tasks included) is pending, running or completing, then returns
    /// each job's final state (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...) as <c>scontrol show job</c> reports it, keyed by
    /// job id, or by <c>arrayId_taskId</c> for array tasks (a task range such as <c>12_0-2</c> for tasks cancelled before
    /// they were split). Throws <see cref="TimeoutException"/> with the queue and the daemons' last log lines after
    /// <paramref name="timeout"/>, and <see cref="InvalidOperationException"/> if a daemon exits meanwhile.
    /// </summary>
    public IReadOnlyDictionary<string, string> WaitForJobs(IEnumerable<string> jobIds, TimeSpan timeout)
    {
        var ids = jobIds.ToList();
        if (ids.Count == 0)
        {
            return new Dictionary<string, string>();
        }

        var list = string.Join(',', ids);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ThrowIfADaemonExited();
            var (code, output, error) = Run("squeue", ["-h", "-j", list, "-o", "%i %T"]);

            // squeue refuses a list in which no job is known any more; that only happens once all have ended.
            var active = code == 0 ? output.Trim() : error.Contains("Invalid job id", StringComparison.Ordinal) ? "" : null;
            if (active is null)
            {
                throw new InvalidOperationException($"squeue -j {list} failed (exit code {code}):\n{output}{error}");
            }

            if (active.Length == 0)
            {
                break;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"Jobs {list} still queued or running after {timeout.TotalSeconds:0} s. squeue:\n{Client("squeue", "-j", list, "-l").Output}\n{DaemonLogs()}");
            }

            Thread.Sleep(PollInterval);
        }

        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var (code, output, error) = Run("scontrol", ["show", "job", "-o", id]);
            if (code != 0)
            {
                throw new InvalidOperationException($"scontrol show job {id} failed (exit code {code}): {output}{error}");
            }

            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var arrayJob = Field(line, "ArrayJobId");
                var arrayTask = Field(line, "ArrayTaskId");
                var key = arrayJob is not null && arrayTask is not null ? $"{arrayJob}_{arrayTask}" : Field(line, "JobId");
                var state = Field(line, "JobState");
                if (key is null || state is null)
                {
                    throw new InvalidOperationException($"scontrol show job {id} printed a line without JobId or JobState: {line}");
                }

                states[key] = state;
            }
        }

        return states;
    }

    /// <summary>
    /// Cancels every job, then stops slurmd, slurmctld and munged by process id (SIGTERM, SIGKILL after a few seconds)
    /// and any job process left over. Deletes no file.
    /// </summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        var controller = daemons.Find(d => d.Name == "slurmctld");
        if (controller is not null && !controller.Process.HasExited)
        {
            try
            {
                CancelAllJobs();
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // The daemons are stopped below regardless, and the sweeps kill what jobs left.
            }
        }

        // Job processes of a cluster whose controller is gone would hold slurmd up.
        KillLeftoverJobProcesses();

        // Reverse start order: slurmd before the controller it reports to, munged last (both use it to authenticate).
        for (var i = daemons.Count - 1; i >= 0; i--)
        {
            daemons[i].Stop();
        }

        // Whatever slurmd started while it was stopping.
        KillLeftoverJobProcesses();
        foreach (var daemon in daemons)
        {
            daemon.Dispose();
        }
    }

    private void StartDaemons()
    {
        Directory.CreateDirectory(folder);

        // 0755 whatever the umask: munged's socket must be reachable by every user's clients and jobs.
        var munge = Path.Combine(folder, "munge");
        var state = Path.Combine(folder, "state");
        var spool = Path.Combine(folder, "spool");
        foreach (var directory in new[] { munge, state, spool })
        {
            Directory.CreateDirectory(directory);
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var key = Path.Combine(munge, "munge.key");
        var socket = Path.Combine(munge, "munge.socket");
        WriteMungeKey(key);

        // -F keeps munged in the foreground, so its process id is this child's; -f accepts a temporary folder that
        // munged would otherwise find too open. It logs to standard error in the foreground (captured into munged.out).
        var munged = StartDaemon("munged",
        [
            "-F", "-f", $"--key-file={key}", $"--socket={socket}", $"--pid-file={Path.Combine(munge, "munged.pid")}",
            $"--log-file={Path.Combine(munge, "munged.log")}", $"--seed-file={Path.Combine(munge, "munged.seed")}",
        ]);
        WaitFor(() => File.Exists(socket), munged, "munged's socket " + socket);

        NodeName = Dns.GetHostName().Split('.')[0];

        // Free ports are picked by the kernel and released before slurmctld binds them; if another program takes one
        // meanwhile, the daemon exits with "Address already in use" and the cluster tries again with new ports.
        for (var attempt = 1; ; attempt++)
        {
            var (controllerPort, nodePort) = FreePorts();
            File.WriteAllText(ConfigurationFile, Configuration(socket, state, spool, controllerPort, nodePort));
            var controller = StartDaemon("slurmctld", ["-D", "-i", "-f", ConfigurationFile]);
            var node = StartDaemon("slurmd", ["-D", "-f", ConfigurationFile]);
            try
            {
                WaitForIdleNode();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && new[] { controller, node }.Any(d => d.Process.HasExited && d.Tail().Contains("Address already in use", StringComparison.Ordinal)))
            {
                foreach (var daemon in new[] { node, controller })
                {
                    daemon.Stop();
                    daemon.Dispose();
                    daemons.Remove(daemon);
                }
            }
        }
    }

    private string Configuration(string mungeSocket, string state, string spool, int controllerPort, int nodePort)
    {
        // The node's memory is set low so that it never exceeds what the machine has (slurmd drains a node that has
        // less than configured); jobs request none (CR_Core counts cores only). CPUs is at most what slurmd finds.
        var memoryMiB = Math.Max(1, Math.Min(1024, MachineMemoryMiB() / 2));
        var user = System.Environment.UserName;
        return $"""
            # A one-node test cluster written by Lottery.Tests.Scale.SlurmCluster; every path is under {folder}.
            ClusterName=lottery-test
            SlurmctldHost={NodeName}(127.0.0.1)
            SlurmctldPort={controllerPort}
            SlurmdPort={nodePort}
            SlurmUser={user}
            SlurmdUser={user}
            AuthType=auth/munge
            CredType=cred/munge
            AuthInfo=socket={mungeSocket}
            StateSaveLocation={state}
            SlurmdSpoolDir={spool}
            SlurmctldPidFile={Path.Combine(folder, "slurmctld.pid")}
            SlurmdPidFile={Path.Combine(folder, "slurmd.pid")}
            SlurmctldLogFile={Path.Combine(folder, "slurmctld.log")}
            SlurmdLogFile={Path.Combine(folder, "slurmd.log")}
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            MpiDefault=none
            MailProg=/bin/true
            ReturnToService=2
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            SchedulerType=sched/backfill
            # Start jobs within about a second of their submission or of resources freeing up (defaults: up to 3 s and 30 s).
            SchedulerParameters=batch_sched_delay=0,bf_interval=1
            NodeName={NodeName} NodeAddr=127.0.0.1 NodeHostname={NodeName} CPUs={System.Environment.ProcessorCount} RealMemory={memoryMiB} State=UNKNOWN
            PartitionName=debug Nodes={NodeName} Default=YES MaxTime=INFINITE State=UP

            """;
    }

    private static long MachineMemoryMiB()
    {
        // /proc/meminfo's first line: "MemTotal:       24683820 kB".
        var total = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(total["MemTotal:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) / 1024;
    }

    private void WaitForIdleNode()
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < StartTimeout)
        {
            ThrowIfADaemonExited();
            var (code, output, error) = Run("sinfo", ["-h", "-N", "-n", NodeName, "-o", "%t"]);
            last = (output + error).Trim();
            if (code == 0 && last == "idle")
            {
                return;
            }

            Thread.Sleep(PollInterval);
        }

        throw new InvalidOperationException(
            $"The Slurm node {NodeName} was not idle after {StartTimeout.TotalSeconds:0} s (sinfo: '{last}'). {Client("scontrol", "show", "node", NodeName).Output.Trim()}\n{DaemonLogs()}");
    }

    private void CancelAllJobs()
    {
        var (code, output, _) = Run("squeue", ["-h", "-o", "%A"]);
        var jobs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        if (code != 0 || jobs.Length == 0)
        {
            return;
        }

        Run("scancel", jobs);

        // Jobs end on scancel's SIGTERM; one that ignores it gets SIGKILL only after KillWait (30 s), so it is killed
        // here after a few seconds. Either way slurmd then reports the end, and the daemons stop without a job in flight.
        if (!QueueEmptiesWithin(TimeSpan.FromSeconds(5)))
        {
            KillLeftoverJobProcesses();
            QueueEmptiesWithin(TimeSpan.FromSeconds(5));
        }
    }

    private bool QueueEmptiesWithin(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Run("squeue", ["-h", "-o", "%A"]).Output.Trim().Length > 0)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(PollInterval);
        }

        return true;
    }

    /// <summary>
    /// Kills the job processes and slurmstepd still running. They, the daemons and the daemons' own helpers (slurmctld's
    /// slurmscriptd), and no process outside this cluster, carry this cluster's SLURM_CONF in their environment; slurmstepd
    /// detaches from slurmd, so what is neither a daemon nor a daemon's child belongs to a job.
    /// </summary>
    private void KillLeftoverJobProcesses()
    {
        var marker = Encoding.UTF8.GetBytes("SLURM_CONF=" + ConfigurationFile + "\0");
        var daemonIds = daemons.Where(d => !d.Process.HasExited).Select(d => d.Process.Id).ToHashSet();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == System.Environment.ProcessId || daemonIds.Contains(pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllBytes(Path.Combine(entry, "environ")).AsSpan().IndexOf(marker) >= 0 && !daemonIds.Contains(ParentId(entry)))
                {
                    _ = Kill(pid, SignalKill);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's process: not ours.
            }
        }
    }

    /// <summary>The parent's process id from /proc/PID/stat: "pid (name) state ppid ...", where the name may hold spaces.</summary>
    private static int ParentId(string procEntry)
    {
        var stat = File.ReadAllText(Path.Combine(procEntry, "stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private Daemon StartDaemon(string program, string[] args)
    {
        var daemon = new Daemon(program, Launch(program, args, redirectInput: false), Path.Combine(folder, program + ".out"));
        daemons.Add(daemon);
        return daemon;
    }

    private void ThrowIfADaemonExited()
    {
        var exited = daemons.Find(d => d.Process.HasExited);
        if (exited is not null)
        {
            exited.Process.WaitForExit(); // flushes its captured output
            throw new InvalidOperationException($"{exited.Name} exited (exit code {exited.Process.ExitCode}); its last output lines:\n{exited.Tail()}");
        }
    }

    private static void WaitFor(Func<bool> ready, Daemon daemon, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!ready())
        {
            if (daemon.Process.HasExited)
            {
                daemon.Process.WaitForExit();
                throw new InvalidOperationException($"{daemon.Name} exited (exit code {daemon.Process.ExitCode}); its last output lines:\n{daemon.Tail()}");
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"{what} did not appear within {StartTimeout.TotalSeconds:0} s; {daemon.Name}'s last output lines:\n{daemon.Tail()}");
            }

            Thread.Sleep(50);
        }
    }

    private string DaemonLogs() =>
        string.Join('\n', daemons.Select(d => $"--- {d.Name} (pid {d.Process.Id}{(d.Process.HasExited ? ", exited" : "")}), last lines:\n{d.Tail()}"));

    private (int Code, string Output, string Error) Run(string program, IEnumerable<string> args)
    {
        using var process = Launch(program, args, redirectInput: true);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ClientTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {ClientTimeout.TotalSeconds:0} s.\n{DaemonLogs()}");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    private Process Launch(string program, IEnumerable<string> args, bool redirectInput)
    {
        var path = program.Contains('/', StringComparison.Ordinal) ? program : FindProgram(program)
            ?? throw new InvalidOperationException($"{program} not found on PATH, /usr/sbin or /sbin: {InstallHint}.");
        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(k => ForeignPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{path} could not be started.");
    }

    private static string? FindProgram(string name)
    {
        var directories = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
        return directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private static void WriteMungeKey(string path)
    {
        // munged refuses a key that group or others can read.
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        stream.Write(RandomNumberGenerator.GetBytes(1024));
    }

    private static (int Controller, int Node) FreePorts()
    {
        // Both listeners are open together, so the two ports differ.
        var first = new TcpListener(IPAddress.Any, 0);
        var second = new TcpListener(IPAddress.Any, 0);
        first.Start();
        second.Start();
        var ports = (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        first.Stop();
        second.Stop();
        return ports;
    }

    private static string? Field(string line, string name)
    {
        var match = Regex.Match(line, $@"(?:^|\s){name}=(\S+)", RegexOptions.CultureInvariant);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex JobIdPattern();

    private const int SignalTerminate = 15;
    private const int SignalKill = 9;

    [DllImport("libc.so.6", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>A daemon started in the foreground, its standard output and error kept in a file and its last lines in memory.</summary>
    private sealed class Daemon : IDisposable
    {
        private const int KeptLines = 40;
        private readonly Queue<string> lastLines = new();
        private readonly StreamWriter log;
        private bool closed;

        public Daemon(string name, Process process, string logPath)
        {
            Name = name;
            Process = process;
            log = new StreamWriter(logPath, append: true) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Name { get; }

        public Process Process { get; }

        public string Tail()
        {
            lock (lastLines)
            {
                return string.Join('\n', lastLines);
            }
        }

        /// <summary>SIGTERM, then SIGKILL if it is still running after five seconds.</summary>
        public void Stop()
        {
            if (Process.HasExited)
            {
                return;
            }

            _ = Kill(Process.Id, SignalTerminate);
            if (!Process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                Process.Kill();
            }

            Process.WaitForExit();
        }

        public void Dispose()
        {
            Process.Dispose();
            lock (lastLines)
            {
                closed = true;
                log.Dispose();
            }
        }

        private void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lastLines)
            {
                lastLines.Enqueue(line);
                if (lastLines.Count > KeptLines)
                {
                    lastLines.Dequeue();
                }

                if (!closed)
                {
                    log.WriteLine(line);
                }
            }
        }
    }
}
