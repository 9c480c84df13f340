using System.Text;
using Agent.Runtime;

namespace Agent.Host;

/// <summary>The size limit of a task (Agent:MaxTaskBytes), checked where a task enters: <c>agent run</c>, <c>agent submit</c>, <c>POST /runs</c>.</summary>
internal static class TaskLimit
{
    /// <summary>What is wrong with the task's size, or null when it fits.</summary>
    public static string? Problem(string task, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        var bytes = Encoding.UTF8.GetByteCount(task);
        return bytes <= options.MaxTaskBytes
            ? null
            : $"The task is {bytes} bytes (UTF-8), over Agent:MaxTaskBytes ({options.MaxTaskBytes}): shorten it, or raise Agent:MaxTaskBytes.";
    }

    /// <summary>Refuses a task over the limit.</summary>
    /// <exception cref="ArgumentException">The task is longer than Agent:MaxTaskBytes (exit code 2).</exception>
    public static void Check(string task, AgentOptions options)
    {
        if (Problem(task, options) is { } problem)
        {
            throw new ArgumentException(problem);
        }
    }

    /// <summary>The largest request body the HTTP API reads: a task at the limit with every byte escaped as <c>\uXXXX</c>, plus room for the rest of the JSON.</summary>
    public static long MaxRequestBodyBytes(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (6L * options.MaxTaskBytes) + 4096;
    }
}
