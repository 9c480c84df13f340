namespace Agent.Runtime.Tests;

/// <summary>
/// The test assembly's entry point. Under the test runner Main is not called; run as
/// <c>dotnet Agent.Runtime.Tests.dll child FOLDER RUN_ID LINE...</c> it is the child process of the kill -9 test:
/// it resumes RUN_ID in FOLDER's store with the scripted LINEs until it is killed.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length < 3 || args[0] != "child")
        {
            await Console.Error.WriteLineAsync("usage: child FOLDER RUN_ID LINE...");
            return 2;
        }

        await using var harness = await RuntimeHarness.CreateAsync(args[1], string.Empty, args.Skip(3), removeOrphans: false);
        Assert.True(await harness.Store.TryClaimAsync(args[2], "child"));
        var run = await harness.Runner.RunAsync(args[2], "child");
        await Console.Out.WriteLineAsync(run.Status.ToString());
        return 0;
    }
}
