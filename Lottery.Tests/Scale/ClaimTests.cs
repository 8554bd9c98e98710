using System.Diagnostics;
using Lottery.Results;

namespace Lottery.Tests.Scale;

/// <summary>Claims on runs: one holder at a time, renewed while held, a stale or dead owner's claim taken over by exactly one worker.</summary>
public sealed class ClaimTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "lottery-claims-" + Guid.NewGuid().ToString("N"), "run");

    private static ClaimSettings Worker(string name, double staleSeconds = 60) => new() { Worker = name, StaleAfter = TimeSpan.FromSeconds(staleSeconds) };

    [Fact]
    public void A_held_claim_is_refused_with_its_owner_and_a_released_one_is_free_again()
    {
        using (var first = RunClaim.TryAcquire(folder, Worker("a"), out var none))
        {
            Assert.NotNull(first);
            Assert.Null(none);
            Assert.Null(first.TookOverFrom);
            Assert.Null(RunClaim.TryAcquire(folder, Worker("b"), out var holder));
            Assert.NotNull(holder);
            Assert.Contains("(a)", holder.Owner, StringComparison.Ordinal);
            Assert.Equal(first.Holder.Token, holder.Token);
            Assert.True(first.StillHeld());
        }

        Assert.Null(RunClaim.Current(folder));
        using var second = RunClaim.TryAcquire(folder, Worker("b"), out _);
        Assert.NotNull(second);
        Assert.Null(second.TookOverFrom);
    }

    [Fact]
    public void A_claim_not_renewed_in_time_is_taken_over_and_its_owner_is_stopped_from_writing()
    {
        // Its owner renews every 7.5 s; the taker judges by a claim that lasts 2 s.
        using var stale = RunClaim.TryAcquire(folder, Worker("stale"), out _)!;

        // As if its owner had been stopped: no renewal for longer than a claim lasts.
        File.SetLastWriteTimeUtc(stale.Path, DateTime.UtcNow - TimeSpan.FromSeconds(30));
        using var taker = RunClaim.TryAcquire(folder, Worker("taker", staleSeconds: 2), out var heldBy);
        Assert.NotNull(taker);
        Assert.Null(heldBy);
        Assert.Equal(stale.Holder.Token, taker.TookOverFrom?.Token);
        Assert.True(taker.TookOverAge >= TimeSpan.FromSeconds(29));
        Assert.False(stale.StillHeld());
        var lost = Assert.Throws<RunClaimLostException>(stale.ThrowIfLost);
        Assert.Contains("taken over by", lost.Message, StringComparison.Ordinal);
        Assert.Contains("(taker)", lost.Message, StringComparison.Ordinal);
        Assert.True(taker.StillHeld());
    }

    [Fact]
    public void A_claim_removed_from_outside_says_so_and_that_the_run_resumes_not_that_another_worker_took_it_over()
    {
        using var claim = RunClaim.TryAcquire(folder, Worker("alone"), out _)!;
        File.Delete(claim.Path);

        var lost = Assert.Throws<RunClaimLostException>(claim.ThrowIfLost);
        Assert.Equal(
            $"The claim on run 'run' (claim-000001.json) was removed from outside while this worker ({claim.Holder.Owner}) trained it; it stopped writing to the run, which resumes from its last whole checkpoint "
            + "once claimed again (by this worker, unless another claims it first). Leave claim-*.json files alone while a run trains.",
            lost.Message);
    }

    [Fact]
    public void A_claim_taken_over_while_its_owner_renewed_it_does_not_say_the_owner_was_stopped()
    {
        using var claim = RunClaim.TryAcquire(folder, Worker("renewing"), out _)!;
        File.Delete(claim.Path);
        using var taker = RunClaim.TryAcquire(folder, Worker("taker"), out _)!;

        var lost = Assert.Throws<RunClaimLostException>(claim.ThrowIfLost);
        Assert.Equal($"Run 'run' was taken over by {taker.Holder.Owner}, which found the claim of this worker ({claim.Holder.Owner}) stale or gone; this worker leaves the run to it.", lost.Message);
    }

    [Fact]
    public void An_owner_renews_its_claim_so_it_outlives_the_stale_time()
    {
        using var held = RunClaim.TryAcquire(folder, Worker("held", staleSeconds: 1), out _)!;
        Thread.Sleep(TimeSpan.FromSeconds(2.5));
        Assert.Null(RunClaim.TryAcquire(folder, Worker("other", staleSeconds: 1), out var holder));
        Assert.Equal(held.Holder.Token, holder!.Token);
        Assert.False(held.Lost);
    }

    [Fact]
    public void The_claim_of_a_process_of_this_machine_that_has_ended_is_taken_over_at_once()
    {
        // A claim file as a worker that was killed leaves it: written by a process that no longer runs.
        using var child = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        child.WaitForExit();
        Directory.CreateDirectory(folder);
        var dead = new ClaimHolder("killed worker", "token-of-the-dead", DateTime.UtcNow, Environment.MachineName, child.Id, DateTime.UtcNow);
        File.WriteAllText(Path.Combine(folder, "claim-000007.json"), System.Text.Json.JsonSerializer.Serialize(dead));

        using var taker = RunClaim.TryAcquire(folder, Worker("taker"), out var heldBy);
        Assert.NotNull(taker);
        Assert.Equal("token-of-the-dead", taker.TookOverFrom?.Token);
        Assert.EndsWith("claim-000008.json", taker.Path, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "claim-000007.json")));
    }

    [Fact]
    public void The_claim_of_a_live_process_of_this_machine_is_held_whatever_the_wall_clock_says_and_taken_over_once_it_ends()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        var stat = File.ReadAllText($"/proc/{child.Id}/stat");
        var ticks = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], System.Globalization.CultureInfo.InvariantCulture);

        // Its recorded start time is an hour off, as after a step of the wall clock; its start in ticks since boot is right.
        var live = new ClaimHolder("live worker", "token-of-the-living", DateTime.UtcNow, Environment.MachineName, child.Id, DateTime.UtcNow.AddHours(-1), ticks);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "claim-000003.json"), System.Text.Json.JsonSerializer.Serialize(live));
        Assert.Null(RunClaim.TryAcquire(folder, Worker("taker"), out var holder));
        Assert.Equal("token-of-the-living", holder?.Token);

        child.Kill();
        child.WaitForExit();
        using var taker = RunClaim.TryAcquire(folder, Worker("taker"), out _);
        Assert.Equal("token-of-the-living", taker?.TookOverFrom?.Token);
    }

    [Fact]
    public void Of_many_workers_racing_for_a_stale_claim_exactly_one_gets_it()
    {
        for (var trial = 0; trial < 10; trial++)
        {
            var run = Path.Combine(folder, trial.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var stale = RunClaim.TryAcquire(run, Worker("stale"), out _)!;
            File.SetLastWriteTimeUtc(stale.Path, DateTime.UtcNow - TimeSpan.FromMinutes(10));
            using var start = new Barrier(8);
            var claims = new RunClaim?[8];
            var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                claims[i] = RunClaim.TryAcquire(run, Worker($"racer {i}"), out _);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Single(claims, c => c is not null);
            Assert.Single(claims, c => c?.StillHeld() == true);
            foreach (var claim in claims)
            {
                claim?.Dispose();
            }

            stale.Dispose();
        }
    }

    public void Dispose()
    {
        var root = Path.GetDirectoryName(folder)!;
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
