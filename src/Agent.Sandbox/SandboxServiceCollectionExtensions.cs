using Agent.Sandbox.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Sandbox;

/// <summary>Registers Docker sandboxes in a service collection.</summary>
public static class SandboxServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ISandboxService"/> bound to the <c>Sandbox</c> section of <paramref name="configuration"/>,
    /// validated at host start, plus a hosted service that removes orphans at start and this process's
    /// sandboxes at shutdown.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The root configuration (the <c>Sandbox</c> section is read from it).</param>
    /// <returns>The same collection.</returns>
    public static IServiceCollection AddSandboxes(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SandboxOptions>()
            .Bind(configuration.GetSection(SandboxOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>());
        services.TryAddSingleton<DockerSandboxService>();
        services.TryAddSingleton<ISandboxService>(sp => sp.GetRequiredService<DockerSandboxService>());
        services.AddHostedService(sp => sp.GetRequiredService<DockerSandboxService>());
        return services;
    }
}
