using System.CommandLine;
using Agent.Runtime;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Host.Commands;

/// <summary><c>agent serve [--model PATH]</c>: the worker over the durable queue plus the HTTP API on 127.0.0.1, under systemd when started by it.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var command = new Command("serve", "Run the service: queue worker and the HTTP API on 127.0.0.1 (token from Http:Token)") { model };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var hostBuilder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddRuntime(hostBuilder, parseResult.GetValue(model), service: true);
            await using var app = Build(hostBuilder);
            // The run store is checked (and migrated) before the sandboxes start or anything listens.
            await app.Services.GetRequiredService<IRunStore>().InitializeAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // Kestrel's bind failure (port in use, address not on this machine) is the configuration's to fix.
                throw new ConfigurationException($"Http:Url '{AgentHost.Options<HttpOptions>(app.Services, HttpOptions.Section).Url}': cannot listen ({e.Message}). Choose a free port.", e);
            }

            // The model loads now rather than on the first run, so GET /readyz turns ready without one.
            _ = app.Services.GetRequiredService<LoadedModel>().LoadInBackground();
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Builds the service as <c>agent serve</c> runs it: the verb's composition, the queue worker and the HTTP API on
    /// Http:Url. Configuration is validated here, so a missing token or a non-loopback Http:Url fails before anything listens.
    /// </summary>
    /// <exception cref="ConfigurationException">Http:Token is missing, Http:Url is not a loopback http:// URL, or another section is invalid.</exception>
    /// <exception cref="Agent.Llama.ModelLoadException">The model file is missing or not GGUF.</exception>
    internal static WebApplication Build(HostApplicationBuilder hostBuilder)
    {
        var web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = hostBuilder.Environment.ContentRootPath });
        web.Configuration.AddConfiguration(hostBuilder.Configuration);
        // The verb's composition (AgentHost) is reused: every registration except the generic host's own plumbing,
        // which the web application brings itself (its IHost, environment, lifetime and configuration).
        foreach (var service in hostBuilder.Services)
        {
            var hostPlumbing = service.ServiceType == typeof(IConfiguration)
                || (service.ServiceType.Namespace == "Microsoft.Extensions.Hosting" && service.ServiceType != typeof(IHostedService));
            if (!hostPlumbing)
            {
                web.Services.Add(service);
            }
        }

        var http = new HttpOptions();
        hostBuilder.Configuration.GetSection(HttpOptions.Section).Bind(http);
        if (string.IsNullOrWhiteSpace(http.Token))
        {
            throw new ConfigurationException("Http:Token is not set: agent serve refuses to start without a bearer token (set it in appsettings.json or AGENT_Http__Token).");
        }

        // Kestrel gets the resolved addresses, never a host name: given a name other than localhost it listens on every interface.
        var endpoints = HttpEndpoints.Resolve(http);
        var agent = new AgentOptions();
        hostBuilder.Configuration.GetSection(AgentOptions.Section).Bind(agent);
        web.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            foreach (var endpoint in endpoints)
            {
                kestrel.Listen(endpoint);
            }

            kestrel.Limits.MaxRequestBodySize = TaskLimit.MaxRequestBodyBytes(agent);
        });
        web.Services.AddRoutingCore();
        HttpApi.AddProblemDetails(web.Services);
        web.Services.AddOpenApi();
        web.Services.AddSingleton(_ => new Review.ReviewSessions(TimeProvider.System));
        web.Services.AddSystemd();
        web.Services.AddSingleton<ServiceReadiness>();
        web.Services.AddHostedService<RunWorker>();
        // Shutdown waits for a running tool call to finish or time out, then parks the runs.
        web.Services.AddOptions<HostOptions>().Configure<IOptions<SandboxOptions>>((o, sandbox) => o.ShutdownTimeout = TimeSpan.FromSeconds(sandbox.Value.ExecTimeoutSeconds + 15));
        var app = web.Build();
        try
        {
            AgentHost.ValidateRuntimeOptions(app.Services);
            _ = AgentHost.Options<HttpOptions>(app.Services, HttpOptions.Section);
            app.Services.GetRequiredService<LoadedModel>().CheckFile();
            var modeRule = app.Services.GetRequiredService<LoadedModel>().CheckModeRule(AgentHost.Options<PolicyOptions>(app.Services, PolicyOptions.Section));
            var classifier = app.Services.GetRequiredService<RuntimeClassifier>();
            classifier.Load();
            // Loads the model at start only when the policy reads a combined signal (it needs the model's tag tokens).
            var combinedRule = app.Services.GetRequiredService<LoadedModel>().CheckCombinedRule(AgentHost.Options<PolicyOptions>(app.Services, PolicyOptions.Section));
            Console.Error.WriteLine(classifier.Describe());
            if (modeRule is not null)
            {
                Console.Error.WriteLine(modeRule);
            }

            if (combinedRule is not null)
            {
                Console.Error.WriteLine(combinedRule);
            }

            HttpApi.Map(app, http.Token, agent);
            return app;
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
    }
}
