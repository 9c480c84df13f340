namespace Agent.Sandbox.Internal;

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, so that nothing reported is lost or late when the call returns (unlike <see cref="Progress{T}"/>).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
