using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Llama.Native;

/// <summary>
/// Routes llama.cpp and ggml log lines to an <see cref="ILogger"/>. The callback never throws across the native
/// boundary, and keeps the last error or warning per thread so a failed native call can explain itself.
/// </summary>
internal static unsafe class NativeLog
{
    private const int LevelDebug = 1;
    private const int LevelInfo = 2;
    private const int LevelWarn = 3;
    private const int LevelError = 4;
    private const int LevelContinue = 5;

    [ThreadStatic]
    private static StringBuilder? t_pending;

    [ThreadStatic]
    private static int t_pendingLevel;

    [ThreadStatic]
    private static List<string>? t_problems;

    [ThreadStatic]
    private static (string Fragment, string Note)? t_expected;

    [ThreadStatic]
    private static int t_errors;

    private static ILogger s_logger = NullLogger.Instance;

    public static void Install(ILogger logger)
    {
        s_logger = logger;
        NativeMethods.llama_log_set(&OnLog, null);
        NativeMethods.ggml_log_set(&OnLog, null);

        // llama.cpp and ggml may still log while the process exits (static destructors run after the runtime is gone):
        // route them back to stderr before that, so no native code calls into a runtime that is shutting down.
        AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
        {
            NativeMethods.llama_log_set(null, null);
            NativeMethods.ggml_log_set(null, null);
        };
    }

    /// <summary>
    /// Until the returned scope ends, a warning on this thread that contains <paramref name="fragment"/> is logged at
    /// debug level with <paramref name="note"/> appended, and not kept as a problem: for a warning the caller knows does
    /// not apply to what it is doing.
    /// </summary>
    public static ExpectedWarning Expect(string fragment, string note)
    {
        t_expected = (fragment, note);
        return default;
    }

    /// <summary>Forgets earlier problems on this thread; call before a native call whose failure you will report.</summary>
    public static void BeginCapture()
    {
        (t_problems ??= []).Clear();
        t_errors = 0;
    }

    /// <summary>How many error lines llama.cpp logged on this thread since <see cref="BeginCapture"/>.</summary>
    public static int CapturedErrorCount => t_errors;

    /// <summary>The warnings and errors llama.cpp logged on this thread since <see cref="BeginCapture"/>.</summary>
    public static string CapturedProblems()
    {
        var problems = t_problems;
        return problems is null || problems.Count == 0 ? "(llama.cpp logged no error)" : string.Join(" | ", problems.TakeLast(4));
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(int level, byte* text, void* userData)
    {
        try
        {
            var message = text == null ? string.Empty : Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;
            var pending = t_pending ??= new StringBuilder();
            if (level != LevelContinue)
            {
                t_pendingLevel = level;
            }

            pending.Append(message);
            if (!message.EndsWith('\n'))
            {
                return;
            }

            var line = pending.ToString().TrimEnd();
            pending.Clear();
            if (line.Length == 0)
            {
                return;
            }

            var lineLevel = t_pendingLevel;
            if (lineLevel == LevelWarn && t_expected is { } expected && line.Contains(expected.Fragment, StringComparison.Ordinal))
            {
                lineLevel = LevelDebug;
                line += " (" + expected.Note + ")";
            }

            if (lineLevel is LevelError)
            {
                t_errors++;
            }

            if (lineLevel is LevelWarn or LevelError)
            {
                var problems = t_problems ??= [];
                problems.Add(line);
                if (problems.Count > 16)
                {
                    problems.RemoveAt(0);
                }
            }

            var logLevel = lineLevel switch
            {
                LevelError => LogLevel.Error,
                LevelWarn => LogLevel.Warning,
                LevelInfo => LogLevel.Information,
                LevelDebug => LogLevel.Debug,
                _ => LogLevel.Trace,
            };
            if (s_logger.IsEnabled(logLevel))
            {
#pragma warning disable CA1848, CA2254 // native log lines are free text; they are not a template.
                s_logger.Log(logLevel, "{NativeMessage}", line);
#pragma warning restore CA1848, CA2254
            }
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Ends a <see cref="Expect"/> scope.</summary>
    public readonly struct ExpectedWarning : IDisposable
    {
        public void Dispose() => t_expected = null;
    }
}
