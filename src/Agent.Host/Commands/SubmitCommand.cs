using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.Runtime;
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
            var agent = new AgentOptions();
            builder.Configuration.GetSection(AgentOptions.Section).Bind(agent);
            if (string.IsNullOrWhiteSpace(http.Token))
            {
                throw new ConfigurationException("Http:Token is not set: it must be the token agent serve was started with.");
            }

            var text = parseResult.GetValue(task)!;
            TaskLimit.Check(text, agent);

            using var client = new HttpClient { BaseAddress = new Uri(parseResult.GetValue(url) ?? http.Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", http.Token);
            HttpResponseMessage response;
            try
            {
                response = await client.PostAsJsonAsync("/runs", new { task = text }, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ConfigurationException($"No agent service answers at {client.BaseAddress}: start it with 'agent serve'. ({e.Message})", e);
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    await Console.Out.WriteLineAsync(body).ConfigureAwait(false);
                    return ExitCodes.Ok;
                }

                // A 4xx is the request's fault (the task, the token): exit 2 with the problem's detail on one line.
                var status = (int)response.StatusCode;
                await Console.Error.WriteLineAsync($"error: {client.BaseAddress} answered {status}: {ProblemDetail(body)}").ConfigureAwait(false);
                return status is >= 400 and < 500 ? ExitCodes.UserError : ExitCodes.Failed;
            }
        });
        return command;
    }

    /// <summary>The detail of an RFC 9457 problem body, else the body itself on one line.</summary>
    private static string ProblemDetail(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                return detail.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON: the body as it is.
        }

        return body.ReplaceLineEndings(" ").Trim();
    }
}
