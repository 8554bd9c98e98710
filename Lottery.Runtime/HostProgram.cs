namespace Lottery;

/// <summary>
/// The program that hosts Lottery's command line, as the runtime's messages tell the user to run it (for example
/// "run `lottery run my-experiment` again"). <c>LotteryCommandLine.Run</c> sets it to the hosting program's own name,
/// so that a user's program is the one named; <c>lottery</c> (the reference program) until then.
/// </summary>
public static class HostProgram
{
    private static string name = "lottery";

    /// <summary>The program's name as a user types it.</summary>
    /// <exception cref="ArgumentException">Set to an empty or blank name.</exception>
    public static string Name
    {
        get => Volatile.Read(ref name);
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            Volatile.Write(ref name, value);
        }
    }

    /// <summary>The command line that runs <paramref name="arguments"/> with the hosting program, in backquotes: <c>`lottery run x`</c>.</summary>
    public static string Command(string arguments) => $"`{Name} {arguments}`";
}
