using Agent.Runtime.Storage;
using Agent.Sandbox;
using Docker.DotNet;
using Microsoft.Extensions.Options;

namespace Agent.Host;

/// <summary>
/// What <c>GET /readyz</c> reports: whether the model is loaded, the Docker daemon answers and the run store opens and
/// answers a query. Each check says "ready" or what is wrong; the service is ready when all three are.
/// </summary>
internal sealed class ServiceReadiness(LoadedModel model, IRunStore store, IOptions<SandboxOptions> sandbox)
{
    /// <summary>The value of a check that passed.</summary>
    public const string Ready = "ready";

    /// <summary>Runs the three checks at once, each bounded by Sandbox:ConnectTimeoutSeconds.</summary>
    /// <returns>model, docker and database, each <see cref="Ready"/> or a sentence saying what is not.</returns>
    public async Task<IReadOnlyDictionary<string, string>> CheckAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(sandbox.Value.ConnectTimeoutSeconds));
        var docker = CheckDockerAsync(timeout.Token);
        var database = CheckDatabaseAsync(timeout.Token);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = CheckModel(),
            ["docker"] = await docker.ConfigureAwait(false),
            ["database"] = await database.ConfigureAwait(false),
        };
    }

    private string CheckModel()
    {
        if (model.IsLoaded)
        {
            return Ready;
        }

        var loading = model.LoadInBackground();
        return loading.IsFaulted
            ? $"the model '{model.ModelName}' failed to load: {loading.Exception!.GetBaseException().Message}"
            : $"the model '{model.ModelName}' is loading";
    }

    private async Task<string> CheckDockerAsync(CancellationToken cancellationToken)
    {
        var endpoint = sandbox.Value.DockerEndpoint;
        try
        {
            // The unversioned ping, as the sandbox service's own version probe: it answers whatever the daemon's API version.
            using var client = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
            await client.System.PingAsync(cancellationToken).ConfigureAwait(false);
            return Ready;
        }
        catch (Exception e)
        {
            return $"the Docker daemon at {endpoint} (Sandbox:DockerEndpoint) does not answer: {Describe(e)}";
        }
    }

    private async Task<string> CheckDatabaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = await store.ListRunsAsync(1, cancellationToken).ConfigureAwait(false);
            return Ready;
        }
        catch (Exception e)
        {
            return $"the run store (Storage:DatabasePath) cannot be queried: {Describe(e)}";
        }
    }

    private static string Describe(Exception e) => e is OperationCanceledException ? "no answer in time (Sandbox:ConnectTimeoutSeconds)" : e.GetBaseException().Message;
}
