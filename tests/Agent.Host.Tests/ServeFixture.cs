using Agent.Host.Commands;
using Agent.Runtime.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Host.Tests;

/// <summary>
/// One real service for <see cref="HttpApiTests"/>: the application <c>agent serve</c> builds (<see cref="ServeCommand.Build"/>:
/// worker, HTTP API, Kestrel) on 127.0.0.1 with an ephemeral port, a real SQLite file, real Docker sandboxes and the
/// <see cref="TestSettings.Lister"/> tiny model, whose every step is a valid <c>files.list</c> call. Two parked runs with pending
/// escalations are stored before the service starts, so the worker cannot take them first.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private WebApplication? _app;

    internal TestSettings Settings { get; } = TestSettings.Create(Agent.TestSupport.TinyModel.Get(TestSettings.Lister));

    internal WebApplication App => _app!;

    public Uri Address { get; private set; } = null!;

    internal IRunStore Store => App.Services.GetRequiredService<IRunStore>();

    internal (RunRecord Run, ActionLogEntry Entry) ToApprove { get; private set; }

    internal (RunRecord Run, ActionLogEntry Entry) ToDeny { get; private set; }

    /// <summary>A client that sends the right token.</summary>
    public HttpClient Authorized()
    {
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestSettings.Token);
        return client;
    }

    public async Task InitializeAsync()
    {
        var builder = AgentHost.CreateBuilder(Settings.SettingsFile, []);
        AgentHost.AddRuntime(builder);
        _app = ServeCommand.Build(builder);
        await Store.InitializeAsync();
        ToApprove = await Escalations.PrepareAsync(Store, "Print a word", "echo approved-ran");
        ToDeny = await Escalations.PrepareAsync(Store, "Wipe the workspace", "rm -rf /workspace");
        await _app.StartAsync();
        Address = new Uri(Assert.Single(_app.Urls));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
