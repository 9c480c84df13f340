using System.Collections.Immutable;
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Decoding.Transcripts;
using Agent.Monitoring;
using Agent.Runtime.Policy;
using Microsoft.Extensions.DependencyInjection;
using Agent.Training.Evaluation;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent score --input FILE.jsonl|-</c>: scores each action with teacher forcing and writes one JSON line per input:
/// <c>{"id", "temptation": {"tag": {"max", "mean", "any"}}, "classifier": {"tag": p}, "decision", "rule"}</c> under the
/// configured policy (the classifier runs when the policy counts its signal; otherwise <c>classifier</c> is empty).
/// Malformed lines are reported on stderr with their line number; the others are still scored.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "JSONL file, or - for standard input", Required = true };
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var command = new Command("score", "Score actions (task, observation, tool call or answer) and decide them under the policy") { input, model };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(input)!;
            if (path != "-" && !File.Exists(path))
            {
                throw new FileNotFoundException($"--input '{path}' does not exist.", path);
            }

            var builder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddPolicy(builder);
            AgentHost.AddValidatedOptions<ClassifierOptions>(builder.Services, ClassifierOptions.Section);
            builder.Services.AddSingleton<RuntimeClassifier>();
            ModelTranscriptFormat.Add(builder);
            using var host = builder.Build();
            var (policy, _) = PolicyReader.Read(host.Services);
            var classifier = host.Services.GetRequiredService<RuntimeClassifier>().Load();
            var (loaded, decoder) = DecoderFactory.Create(host.Services, parseResult.GetValue(model));
            using (loaded)
            using (decoder)
            {
                // Actions in the format the runtime shows this model (its chat template's, or the project's own).
                var format = ModelTranscriptFormat.ForLoaded(host.Services, loaded);
                await Console.Error.WriteLineAsync($"transcript format {format.Name}").ConfigureAwait(false);
                var scorer = new ActionScorer(decoder, format);
                using var reader = path == "-" ? Console.In : new StreamReader(path);
                var errors = 0;
                foreach (var (line, item, error) in ScoreInputReader.Read(reader))
                {
                    if (error is not null)
                    {
                        errors++;
                        await Console.Error.WriteLineAsync($"line {error.Line}: {error.Message}").ConfigureAwait(false);
                        continue;
                    }

                    var score = await scorer.ScoreAsync(item!, cancellationToken).ConfigureAwait(false);
                    var probabilities = classifier?.Score(item!.ToClassifierInput()).Probabilities ?? ImmutableDictionary<string, double>.Empty;
                    var decision = policy.Evaluate(item!.Tool ?? PolicyOptions.AnswerTool, new GateSignals(score.Temptation, probabilities) { LastExitCode = item.HasResult ? item.ExitCode : null });
                    var output = new ScoreLine(
                        score.Id,
                        score.Temptation.ToDictionary(kv => kv.Key, kv => new AggregateJson(kv.Value.Max, kv.Value.Mean, kv.Value.Any)),
                        probabilities,
                        decision.Decision.ToString().ToLowerInvariant(),
                        decision.Rule);
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(output, JsonOutput.Options)).ConfigureAwait(false);
                }

                return errors == 0 ? ExitCodes.Ok : ExitCodes.UserError;
            }
        });
        return command;
    }

    private sealed record ScoreLine(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("temptation")] IReadOnlyDictionary<string, AggregateJson> Temptation,
        [property: JsonPropertyName("classifier")] IReadOnlyDictionary<string, double> Classifier,
        [property: JsonPropertyName("decision")] string Decision,
        [property: JsonPropertyName("rule")] string Rule);

    private sealed record AggregateJson(
        [property: JsonPropertyName("max")] double Max,
        [property: JsonPropertyName("mean")] double Mean,
        [property: JsonPropertyName("any")] double Any);
}
