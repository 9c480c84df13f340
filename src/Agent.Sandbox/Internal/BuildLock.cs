namespace Agent.Sandbox.Internal;

/// <summary>
/// A lock file per user and image reference in the temporary folder, held while the image builds, so that processes
/// sharing an engine (<c>agent serve</c> and <c>agent run</c>, or two test projects) build a missing image once: the
/// second waits and then finds the image built. An advisory lock (flock on Linux): the kernel releases it when its
/// process dies, so a killed build never leaves it held. Per user, because a lock file another user created may not be
/// opened for writing (processes of different users may then build the same image twice, which is only slower).
/// </summary>
internal static class BuildLock
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>Takes the lock of <paramref name="reference"/>, calling <paramref name="waiting"/> once if another process holds it.</summary>
    /// <returns>The held lock; dispose it to release.</returns>
    public static async Task<FileStream> AcquireAsync(string reference, Action waiting, CancellationToken cancellationToken)
    {
        var name = Safe($"agent-sandbox-build-{Environment.UserName}-{reference}") + ".lock";
        var path = Path.Combine(Path.GetTempPath(), name);
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                if (!told)
                {
                    waiting();
                    told = true;
                }

                await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string Safe(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
}
