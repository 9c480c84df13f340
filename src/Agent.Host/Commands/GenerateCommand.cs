using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Decoding;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent generate --prompt TEXT [--model PATH] [--mode mode2] [--ban TAG ...] [--max-tokens N] [--json]</c>:
/// decodes inside the required mode with the given tags banned, and prints the text (and with --json the per-token trace).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var prompt = new Option<string>("--prompt") { Description = "The text to continue", Required = true };
        var mode = new Option<string>("--mode") { Description = "Required mode tag, or 'none'", DefaultValueFactory = _ => "mode2" };
        var ban = new Option<string[]>("--ban") { Description = "Ban a tag (repeatable), e.g. --ban deceit", Arity = ArgumentArity.ZeroOrMore };
        var bias = new Option<string[]>("--bias") { Description = "Bias a tag's logit, TAG=VALUE (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var inside = new Option<string?>("--require-inside") { Description = "Generate inside this tag (its closing tag is banned)" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0f };
        var seed = new Option<uint>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 42u };
        var stop = new Option<string[]>("--stop") { Description = "Stop string (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the per-token trace" };
        var command = new Command("generate", "Generate text under required-mode and banned-tag constraints, with the temptation trace")
        {
            model, prompt, mode, ban, bias, inside, maxTokens, temperature, seed, stop, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var count = parseResult.GetValue(maxTokens);
            if (count < 1)
            {
                throw new ArgumentException($"--max-tokens must be at least 1, got {count}.");
            }

            var constraints = DecodingConstraints.None;
            var requiredMode = parseResult.GetValue(mode)!;
            if (!string.Equals(requiredMode, "none", StringComparison.OrdinalIgnoreCase))
            {
                constraints = constraints.InMode(requiredMode);
            }

            foreach (var tag in parseResult.GetValue(ban) ?? [])
            {
                constraints = constraints.Ban(tag);
            }

            foreach (var item in parseResult.GetValue(bias) ?? [])
            {
                var parts = item.Split('=', 2);
                if (parts.Length != 2 || !float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    throw new ArgumentException($"--bias '{item}' must look like TAG=VALUE, e.g. --bias angry=2.5.");
                }

                constraints = constraints.Bias(parts[0], value);
            }

            if (parseResult.GetValue(inside) is { } insideTag)
            {
                constraints = constraints.RequireInside(insideTag);
            }

            var request = new GenerationRequest(parseResult.GetValue(prompt)!)
            {
                Constraints = constraints,
                MaxTokens = count,
                StopStrings = parseResult.GetValue(stop) ?? [],
                Sampling = new SamplingOptions { Temperature = parseResult.GetValue(temperature), Seed = parseResult.GetValue(seed) },
            };

            using var host = AgentHost.CreateBuilder(parseResult).Build();
            var (loaded, decoder) = DecoderFactory.Create(host.Services, parseResult.GetValue(model));
            using (loaded)
            using (decoder)
            {
                var asJson = parseResult.GetValue(json);
                var session = decoder.Start(request);
                await foreach (var token in session.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!asJson)
                    {
                        await Console.Out.WriteAsync(token.Text).ConfigureAwait(false);
                    }
                }

                var result = session.Result;
                if (asJson)
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(GenerationJson.From(result, decoder.ModeHead), JsonOutput.Options)).ConfigureAwait(false);
                }
                else
                {
                    await Console.Out.WriteLineAsync().ConfigureAwait(false);
                }

                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
