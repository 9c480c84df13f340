using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Agent.Host.Commands;
using Microsoft.AspNetCore.Builder;

namespace Agent.Host.Tests.Commands;

/// <summary>
/// <c>agent serve</c>'s listening sockets, read from the kernel (/proc/net/tcp and tcp6) rather than from what Kestrel
/// reports: whatever Http:Url says, the service listens on loopback addresses only, or refuses to start.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("loopback")]
    [InlineData("localhost")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("127.0.0.1")]
    public async Task Start_LoopbackStyleUrl_ListensOnLoopbackAddressesOnlyOrIsRefused(string host)
    {
        var port = FreePort();
        var url = $"http://{host}:{port}";
        var settings = TestSettings.Create(edit: json => json["Http"]!["Url"] = url);
        WebApplication app;
        try
        {
            var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
            AgentHost.AddRuntime(builder);
            app = ServeCommand.Build(builder);
        }
        catch (ConfigurationException refused)
        {
            Assert.Contains($"Http:Url '{url}'", refused.Message, StringComparison.Ordinal);
            Assert.Empty(ListeningAddresses(port));
            return;
        }

        await using (app)
        {
            await app.StartAsync();
            try
            {
                var listening = ListeningAddresses(port);
                Assert.NotEmpty(listening);
                Assert.All(listening, a => Assert.True(IPAddress.IsLoopback(a), $"{url} listens on {a}:{port}, which is not a loopback address"));
            }
            finally
            {
                await app.StopAsync();
            }
        }
    }

    [Fact]
    public async Task Serve_PortInUse_Exits2NamingHttpUrl()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var settings = TestSettings.Create(edit: json => json["Http"]!["Url"] = $"http://127.0.0.1:{port}");

        var result = await AgentProcess.RunAsync(settings, "serve");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains($"Http:Url 'http://127.0.0.1:{port}'", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ModeRuleWithAModelWithoutHead_Exits2BeforeListeningSayingWhatToDo()
    {
        var settings = TestSettings.Create(edit: json => json["Policy"]!["ModeHead"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "EscalateBelow": 0.5 }"""));

        var result = await AgentProcess.RunAsync(settings, "serve");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("The policy has a mode rule (Policy:ModeHead) but the model", line, StringComparison.Ordinal);
        Assert.Contains("or remove Policy:ModeHead from the policy.", line, StringComparison.Ordinal);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the rule cannot be read");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The local addresses of TCP sockets in LISTEN state on <paramref name="port"/>, from /proc/net/tcp and /proc/net/tcp6.</summary>
    private static List<IPAddress> ListeningAddresses(int port)
    {
        var addresses = new List<IPAddress>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                if (fields[3] != "0A" || int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) != port)
                {
                    continue;
                }

                // The kernel prints the address as 32-bit words in host (little-endian) byte order.
                var hex = local[0];
                var bytes = new byte[hex.Length / 2];
                for (var word = 0; word < hex.Length / 8; word++)
                {
                    for (var b = 0; b < 4; b++)
                    {
                        bytes[(word * 4) + b] = byte.Parse(hex.AsSpan((word * 8) + ((3 - b) * 2), 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    }
                }

                var address = new IPAddress(bytes);
                addresses.Add(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
            }
        }

        return addresses;
    }
}
