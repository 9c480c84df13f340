using System.Text;

namespace Agent.Sandbox;

/// <summary>One captured output stream: the first bytes up to the cap, and how many the command wrote in all.</summary>
public sealed class SandboxOutput
{
    internal SandboxOutput(byte[] bytes, long totalBytes)
    {
        Bytes = bytes;
        TotalBytes = totalBytes;
    }

    /// <summary>The kept bytes (the start of the stream).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Bytes the command wrote, kept or not.</summary>
    public long TotalBytes { get; }

    /// <summary>True when bytes were dropped.</summary>
    public bool Truncated => TotalBytes > Bytes.Length;

    /// <summary>The kept bytes as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Bytes.Span);
}
