using System.Security.Cryptography;
using System.Text;

namespace Agent.Runtime.Gate;

/// <summary>What an approval is bound to: SHA-256 over the tool name and the canonical JSON arguments.</summary>
public static class CallBinding
{
    /// <summary>The lowercase hex hash of <paramref name="tool"/> and <paramref name="canonicalArguments"/>.</summary>
    public static string Hash(string tool, string canonicalArguments)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(canonicalArguments);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tool + "\n" + canonicalArguments)));
    }
}
