using System.Globalization;
using System.Text.Json;

namespace Lottery.Results;

/// <summary>How workers claim runs in a shared results folder.</summary>
public sealed record ClaimSettings
{
    /// <summary>The default <see cref="StaleAfter"/>: two minutes.</summary>
    public static readonly TimeSpan DefaultStaleAfter = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a claim may go without being renewed before another worker takes it over: its owner was killed, or
    /// its machine lost. Owners renew every eighth of it; the clocks of machines sharing a results folder must agree
    /// to well within it.
    /// </summary>
    public TimeSpan StaleAfter { get; init; } = DefaultStaleAfter;

    /// <summary>Who claims, as claim files and logs name it: by default <c>host:pid</c>, with <see cref="Worker"/> when given.</summary>
    public string Owner => Worker is null
        ? FormattableString.Invariant($"{Environment.MachineName}:{Environment.ProcessId}")
        : FormattableString.Invariant($"{Environment.MachineName}:{Environment.ProcessId} ({Worker})");

    /// <summary>A label for the worker (for example <c>worker 2</c> or <c>slurm task 7</c>), or null.</summary>
    public string? Worker { get; init; }

    /// <summary>How often an owner renews its claim.</summary>
    public TimeSpan RenewEvery => TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, StaleAfter.Ticks / 8));

    /// <summary>Checks the settings; the message names the setting.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public ClaimSettings Validate() => StaleAfter >= TimeSpan.FromSeconds(1)
        ? this
        : throw new ArgumentOutOfRangeException(nameof(StaleAfter), StaleAfter, "ClaimSettings.StaleAfter: a claim must stay valid for at least 1 second.");
}

/// <summary>Who holds a claim, as its file says.</summary>
/// <param name="Owner">The owner (see <see cref="ClaimSettings.Owner"/>).</param>
/// <param name="Token">A token unique to the claim.</param>
/// <param name="Since">When it was claimed (UTC).</param>
/// <param name="Host">The owner's machine.</param>
/// <param name="ProcessId">The owner's process id on that machine.</param>
/// <param name="ProcessStarted">When that process started (UTC), which tells it from a later process given the same id.</param>
/// <param name="ProcessStartTicks">That process's start in clock ticks since boot (Linux's /proc), which no change of the wall clock moves; 0 where unknown.</param>
public sealed record ClaimHolder(string Owner, string Token, DateTime Since, string Host = "", int ProcessId = 0, DateTime ProcessStarted = default, long ProcessStartTicks = 0)
{
    /// <summary>This process, as a claim names it.</summary>
    internal static ClaimHolder Me(string owner) =>
        new(owner, Guid.NewGuid().ToString("N"), DateTime.UtcNow, Environment.MachineName, Environment.ProcessId, StartOf(Environment.ProcessId) ?? default, StartTicks(Environment.ProcessId) ?? 0);

    /// <summary>
    /// Whether the owner is known to be gone: a process of this machine that no longer runs (a killed worker's claim
    /// need not wait to go stale). A process on another machine is never known to be gone. Where /proc tells a
    /// process's start in ticks since boot, that decides, so a step of the wall clock cannot make a live owner look gone.
    /// </summary>
    internal bool KnownGone()
    {
        if (Host != Environment.MachineName || ProcessId <= 0 || ProcessId == Environment.ProcessId)
        {
            return false;
        }

        if (ProcessStartTicks > 0 && OperatingSystem.IsLinux())
        {
            return StartTicks(ProcessId) != ProcessStartTicks;
        }

        return StartOf(ProcessId) is not { } started || Math.Abs((started - ProcessStarted).TotalSeconds) > 1;
    }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat: when the process started, in clock ticks since boot; null when it does not run or /proc is missing.</summary>
    private static long? StartTicks(int processId)
    {
        try
        {
            var stat = File.ReadAllText(FormattableString.Invariant($"/proc/{processId}/stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.TryParse(fields[19], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static DateTime? StartOf(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return process.HasExited ? null : process.StartTime.ToUniversalTime();
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}

/// <summary>
/// One worker's claim on one run of a shared results folder. A claim is a file <c>claim-NNNNNN.json</c> in the run's
/// folder, created only if absent (atomic on local and network file systems), naming its owner; the highest number is
/// the claim in force. Its owner renews it (its time of last change) while it trains; a claim not renewed for
/// <see cref="ClaimSettings.StaleAfter"/> is stale, as is at once the claim of a process of this machine that no longer runs
/// (a killed worker), and the next worker takes it over by creating the next number,
/// which only one worker can do. An owner that finds its claim taken over (it was stopped too long) has lost the run:
/// <see cref="ThrowIfLost"/> stops its writes. Disposing the claim releases it.
/// </summary>
public sealed class RunClaim : IDisposable
{
    private const string Prefix = "claim-";
    private const string Suffix = ".json";
    private static readonly DateTime Missing = DateTime.FromFileTimeUtc(0);
    private readonly Timer renewal;
    private readonly object gate = new();
    private DateTime lastRenewed;
    private bool disposed;

    private RunClaim(string folder, string path, ClaimHolder holder, ClaimSettings settings, ClaimHolder? tookOverFrom, TimeSpan tookOverAge)
    {
        Folder = folder;
        Path = path;
        Holder = holder;
        Settings = settings;
        TookOverFrom = tookOverFrom;
        TookOverAge = tookOverAge;
        lastRenewed = DateTime.UtcNow;
        renewal = new Timer(_ => Renew(), null, settings.RenewEvery, settings.RenewEvery);
    }

    /// <summary>The run's folder.</summary>
    public string Folder { get; }

    /// <summary>The claim's file.</summary>
    public string Path { get; }

    /// <summary>This claim's owner and token.</summary>
    public ClaimHolder Holder { get; }

    /// <summary>The settings it was made with.</summary>
    public ClaimSettings Settings { get; }

    /// <summary>The stale claim this one took over, or null when the run was free.</summary>
    public ClaimHolder? TookOverFrom { get; }

    /// <summary>How long that stale claim had gone without renewal.</summary>
    public TimeSpan TookOverAge { get; }

    /// <summary>Whether another worker has taken the run over (this owner was stopped for longer than the claim lasts).</summary>
    public bool Lost { get; private set; }

    /// <summary>
    /// Claims the run whose folder is <paramref name="folder"/> (created when needed), or returns null and who holds
    /// it when another worker's claim is in force.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be written; the message names it.</exception>
    public static RunClaim? TryAcquire(string folder, ClaimSettings settings, out ClaimHolder? heldBy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Directory.CreateDirectory(folder);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var (number, current) = Newest(folder);
            ClaimHolder? stale = null;
            var age = TimeSpan.Zero;
            if (current is not null)
            {
                DateTime changed;
                ClaimHolder? holder;
                try
                {
                    holder = Read(current);
                    changed = File.GetLastWriteTimeUtc(current);
                }
                catch (IOException)
                {
                    Thread.Sleep(Random.Shared.Next(5, 50));
                    continue; // Released or taken over while we looked: look again.
                }

                if (changed == Missing)
                {
                    continue; // Released after we read it.
                }

                age = DateTime.UtcNow - changed;
                if (age < settings.StaleAfter && holder?.KnownGone() != true)
                {
                    heldBy = holder ?? new ClaimHolder("an unknown owner", string.Empty, changed);
                    return null;
                }

                stale = holder ?? new ClaimHolder("an unknown owner", string.Empty, changed);
            }

            var mine = ClaimHolder.Me(settings.Owner);
            var path = System.IO.Path.Combine(folder, FormattableString.Invariant($"{Prefix}{number + 1:000000}{Suffix}"));
            if (!TryCreate(path, mine))
            {
                // Another worker created that number first: look at its claim, after a moment (a network file system's cache may lag).
                Thread.Sleep(Random.Shared.Next(5, 50));
                continue;
            }

            // Older claims are history now; their owners see they have lost the run.
            foreach (var older in Numbered(folder).Where(c => c.Number <= number))
            {
                TryDelete(older.Path);
            }

            heldBy = null;
            return new RunClaim(folder, path, mine, settings, stale, age);
        }

        throw new IOException($"Could not claim the run in '{folder}': its claim files kept changing. Are many workers starting at once? Run again.");
    }

    /// <summary>The claim in force on the run in <paramref name="folder"/> and how long since it was renewed, or null when none is.</summary>
    public static (ClaimHolder Holder, TimeSpan Age)? Current(string folder)
    {
        var (_, current) = Newest(folder);
        if (current is null)
        {
            return null;
        }

        try
        {
            var holder = Read(current);
            var changed = File.GetLastWriteTimeUtc(current);
            return holder is not null && changed != Missing ? (holder, DateTime.UtcNow - changed) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether this claim is still the one in force (reads the folder); a folder that cannot be read counts as not held.</summary>
    public bool StillHeld() => Held() == true;

    /// <summary>
    /// True while this claim is in force; false once another claim has replaced it (a higher number, or its file
    /// holds another token); null when the folder cannot be read just now (a passing file-system error decides nothing).
    /// </summary>
    private bool? Held()
    {
        try
        {
            var (_, current) = Newest(Folder);
            return current == Path && Read(current)?.Token == Holder.Token;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Throws when another worker has taken the run over, so that this one writes nothing more to it.</summary>
    /// <exception cref="RunClaimLostException">The claim is lost.</exception>
    public void ThrowIfLost()
    {
        if (Lost || Held() == false)
        {
            Lost = true;
            throw LostException();
        }
    }

    /// <summary>
    /// The exception that says this claim is lost, and how: taken over by another worker (and whether this one was
    /// stopped too long to renew it), or removed from outside with no other worker holding the run.
    /// </summary>
    /// <param name="detail">What failed when the loss showed, or null.</param>
    internal RunClaimLostException LostException(string? detail = null)
    {
        var run = System.IO.Path.GetFileName(Folder);
        var when = detail is null ? string.Empty : $" ({detail.TrimEnd('.')})";
        if (Current(Folder) is not { } other)
        {
            return new RunClaimLostException(
                $"The claim on run '{run}' ({System.IO.Path.GetFileName(Path)}) was removed from outside while this worker ({Holder.Owner}) trained it{when}; it stopped writing to the run, which resumes from its last whole checkpoint "
                + "once claimed again (by this worker, unless another claims it first). Leave claim-*.json files alone while a run trains.");
        }

        return new RunClaimLostException(DateTime.UtcNow - lastRenewed > Settings.StaleAfter
            ? string.Create(CultureInfo.InvariantCulture, $"Run '{run}' was taken over by {other.Holder.Owner}: this worker ({Holder.Owner}) was stopped for longer than a claim lasts ({Settings.StaleAfter.TotalSeconds:0} s){when} and leaves the run to it.")
            : $"Run '{run}' was taken over by {other.Holder.Owner}, which found the claim of this worker ({Holder.Owner}) stale or gone{when}; this worker leaves the run to it.");
    }

    /// <summary>Renews the claim now (the timer does it every <see cref="ClaimSettings.RenewEvery"/>).</summary>
    public void Renew()
    {
        lock (gate)
        {
            if (disposed || Lost)
            {
                return;
            }

            try
            {
                var held = Held();
                if (held == false)
                {
                    Lost = true;
                    return;
                }

                if (held is null)
                {
                    throw new IOException("the run's folder cannot be read just now");
                }

                File.SetLastWriteTimeUtc(Path, DateTime.UtcNow);
                lastRenewed = DateTime.UtcNow;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // A passing file-system error: the next renewal tries again; a claim not renewed in time is lost.
                if (DateTime.UtcNow - lastRenewed > Settings.StaleAfter)
                {
                    Lost = true;
                }
            }
        }
    }

    /// <summary>Stops renewing and releases the claim (deletes its file) unless another worker holds the run now.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
        }

        using (var stopped = new ManualResetEvent(false))
        {
            renewal.Dispose(stopped);
            stopped.WaitOne();
        }

        if (!Lost && Held() != false)
        {
            TryDelete(Path);
        }
    }

    private static (int Number, string? Path) Newest(string folder)
    {
        var newest = Numbered(folder).OrderByDescending(c => c.Number).FirstOrDefault();
        return newest.Path is null ? (0, null) : newest;
    }

    private static IEnumerable<(int Number, string Path)> Numbered(string folder)
    {
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(folder, Prefix + "*" + Suffix))
        {
            var name = System.IO.Path.GetFileName(path);
            if (int.TryParse(name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                yield return (number, path);
            }
        }
    }

    private static bool TryCreate(string path, ClaimHolder holder)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            JsonSerializer.Serialize(stream, holder, AtomicFile.Json);
            stream.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    private static ClaimHolder? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ClaimHolder>(File.ReadAllText(path), AtomicFile.Json);
        }
        catch (JsonException)
        {
            return null; // Being written, or damaged: its age decides.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A claim that cannot be deleted goes stale and is taken over.
        }
    }
}

/// <summary>A worker lost its claim on a run to another worker; it stops and writes nothing more to the run.</summary>
public sealed class RunClaimLostException(string message) : Exception(message);
