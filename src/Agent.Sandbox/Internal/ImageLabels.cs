using Docker.DotNet;
using Docker.DotNet.Models;

namespace Agent.Sandbox.Internal;

/// <summary>Reads what a locally built image says about itself.</summary>
internal static class ImageLabels
{
    /// <summary>The image, or null when the engine has no image of that reference.</summary>
    public static async Task<ImageInspectResponse?> InspectAsync(DockerEngine engine, string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.CallAsync(c => c.Images.InspectImageAsync(reference, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The build-context hash the image was labelled with, or null when the image or its label is missing.</summary>
    public static async Task<string?> ContextHashAsync(DockerEngine engine, string reference, CancellationToken cancellationToken) =>
        (await InspectAsync(engine, reference, cancellationToken).ConfigureAwait(false))?.Config?.Labels is { } labels
        && labels.TryGetValue(SandboxLabels.ContextHash, out var hash) ? hash : null;
}
