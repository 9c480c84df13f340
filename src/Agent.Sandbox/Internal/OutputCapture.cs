using System.Buffers;

namespace Agent.Sandbox.Internal;

/// <summary>Keeps the first <c>cap</c> bytes of a stream and counts the rest.</summary>
internal sealed class OutputCapture(int cap)
{
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _kept = new();
    private long _total;

    public void Append(ReadOnlySpan<byte> data)
    {
        using var scope = _lock.EnterScope();
        _total += data.Length;
        var room = cap - _kept.WrittenCount;
        if (room > 0)
        {
            _kept.Write(data[..Math.Min(room, data.Length)]);
        }
    }

    public SandboxOutput ToOutput()
    {
        using var scope = _lock.EnterScope();
        return new SandboxOutput(_kept.WrittenSpan.ToArray(), _total);
    }
}
