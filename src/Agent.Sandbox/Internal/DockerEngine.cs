using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Microsoft.Extensions.Logging;

namespace Agent.Sandbox.Internal;

/// <summary>
/// The connection to the Docker engine: created on first use, with the API version negotiated against the daemon
/// (Sandbox:ApiVersion, lowered to the daemon's maximum when the daemon is older, never assumed newest).
/// </summary>
internal sealed class DockerEngine(SandboxOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DockerClient? _client;

    public string Endpoint => options.DockerEndpoint;

    public Version? NegotiatedVersion { get; private set; }

    /// <exception cref="DockerUnavailableException">No answer.</exception>
    /// <exception cref="DockerApiVersionException">No shared API version.</exception>
    public async Task<DockerClient> ClientAsync(CancellationToken cancellationToken)
    {
        if (_client is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is null)
            {
                (_client, NegotiatedVersion) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
                Log.Connected(logger, Endpoint, NegotiatedVersion);
            }

            return _client;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs one engine call, turning transport failures into <see cref="DockerUnavailableException"/>.</summary>
    public async Task<T> CallAsync<T>(Func<DockerClient, Task<T>> call, CancellationToken cancellationToken)
    {
        var client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await call(client).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            throw new DockerUnavailableException(Endpoint, e);
        }
    }

    public Task CallAsync(Func<DockerClient, Task> call, CancellationToken cancellationToken) =>
        CallAsync(async client =>
        {
            await call(client).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public static bool IsTransportFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or SocketException or IOException
        || (e is TimeoutException)
        || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _client?.Dispose();
            _client = null;
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }

    private async Task<(DockerClient Client, Version Version)> ConnectAsync(CancellationToken cancellationToken)
    {
        var endpoint = new Uri(options.DockerEndpoint);
        var requested = Version.Parse(options.ApiVersion);
        Docker.DotNet.Models.VersionResponse daemon;

        // The version probe speaks no versioned path, so it works with any daemon.
        using (var probe = new DockerClientBuilder().WithEndpoint(endpoint).Build())
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.ConnectTimeoutSeconds));
            try
            {
                daemon = await probe.System.GetVersionAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && (IsTransportFailure(e, cancellationToken) || e is OperationCanceledException))
            {
                throw new DockerUnavailableException(options.DockerEndpoint, e);
            }
            catch (DockerApiException e)
            {
                throw new DockerUnavailableException(options.DockerEndpoint, e);
            }
        }

        if (!Version.TryParse(daemon.APIVersion, out var daemonMax) || !Version.TryParse(daemon.MinAPIVersion, out var daemonMin))
        {
            throw new DockerApiVersionException(options.DockerEndpoint, options.ApiVersion, daemon.MinAPIVersion ?? "?", daemon.APIVersion ?? "?");
        }

        var negotiated = requested <= daemonMax ? requested : daemonMax;
        if (negotiated < daemonMin || negotiated < SandboxOptions.MinimumApiVersion)
        {
            throw new DockerApiVersionException(options.DockerEndpoint, options.ApiVersion, daemon.MinAPIVersion, daemon.APIVersion);
        }

        // No client-side timeout: execs and builds are bounded by their own timeouts and cancellation tokens.
        var client = new DockerClientBuilder()
            .WithEndpoint(endpoint)
            .WithApiVersion(negotiated)
            .WithTimeout(Timeout.InfiniteTimeSpan)
            .Build();
        try
        {
            await client.System.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.BadRequest)
        {
            client.Dispose();
            throw new DockerApiVersionException(options.DockerEndpoint, options.ApiVersion, daemon.MinAPIVersion, daemon.APIVersion, e);
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            client.Dispose();
            throw new DockerUnavailableException(options.DockerEndpoint, e);
        }

        return (client, negotiated);
    }
}
