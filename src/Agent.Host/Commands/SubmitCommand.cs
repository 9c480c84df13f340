using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;

namespace Agent.Host.Commands;

/// <summary><c>agent submit "TASK" [--url URL]</c>: posts a task to a running <c>agent serve</c> and prints its run id (JSON).</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var task = new Argument<string>("task") { Description = "The task for the agent" };
        var url = new Option<string?>("--url") { Description = "The service (default: Http:Url)" };
        var command = new Command("submit", "Submit a task to a running agent serve") { task, url };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var builder = AgentHost.CreateBuilder(parseResult);
            var http = new HttpOptions();
            builder.Configuration.GetSection(HttpOptions.Section).Bind(http);
            if (string.IsNullOrWhiteSpace(http.Token))
            {
                throw new ConfigurationException("Http:Token is not set: it must be the token agent serve was started with.");
            }

            using var client = new HttpClient { BaseAddress = new Uri(parseResult.GetValue(url) ?? http.Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", http.Token);
            HttpResponseMessage response;
            try
            {
                response = await client.PostAsJsonAsync("/runs", new { task = parseResult.GetValue(task) }, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ConfigurationException($"No agent service answers at {client.BaseAddress}: start it with 'agent serve'. ({e.Message})", e);
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(body).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Failed;
            }
        });
        return command;
    }
}
