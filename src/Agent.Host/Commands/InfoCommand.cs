using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Runtime;
using Agent.Runtime.Policy;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent info [--model PATH] [--json]</c>: native libraries, llama.cpp system info, backends, devices, and a model's
/// metadata, transcript format (its chat template's family or the project's own) and, per configured tag, how the model
/// spells it and what the gate will therefore read under the configured policy.
/// </summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "A GGUF model to describe (default: none; use --model default for Llama:ModelPath)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("info", "Show the loaded llama.cpp libraries, backends and devices, and a model's metadata and tags") { model, json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var builder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddPolicy(builder);
            using var host = builder.Build();
            var runtime = AgentHost.InitializeLlama(host.Services);
            var paths = (AgentPaths)host.Services.GetService(typeof(AgentPaths))!;
            var tags = AgentHost.Options<TagOptions>(host.Services, TagOptions.Section);
            var modelPath = parseResult.GetValue(model);
            if (modelPath == "default")
            {
                modelPath = AgentHost.Options<LlamaOptions>(host.Services, LlamaOptions.Section).ModelPath;
            }

            ModelReport? report = null;
            if (modelPath is not null)
            {
                using var loaded = LlamaModel.Load(paths.Resolve(modelPath));
                report = ModelReport.From(loaded, tags, AgentHost.Options<PolicyOptions>(host.Services, PolicyOptions.Section));
            }

            if (parseResult.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new { settings = paths.SettingsFile, runtime, model = report }, JsonOutput.Options));
            }
            else
            {
                Render(runtime, report);
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static void Render(LlamaRuntimeInfo runtime, ModelReport? report)
    {
        var console = AnsiConsole.Console;
        var variant = runtime.CpuVariant is null ? string.Empty : $", CPU build [green]{runtime.CpuVariant}[/]";
        console.MarkupLine($"[bold]llama.cpp[/] {runtime.LlamaCppCommit}, backend [green]{runtime.Backend}[/]{variant} from [blue]{Markup.Escape(runtime.Directory)}[/]");
        foreach (var (name, file) in runtime.Libraries)
        {
            console.MarkupLine($"  {name,-10} {Markup.Escape(file)}");
        }

        console.MarkupLine($"[bold]system info[/] {Markup.Escape(runtime.SystemInfo)}");
        console.MarkupLine($"[bold]backends[/] {Markup.Escape(string.Join(", ", runtime.Backends))}");
        var devices = new Table().AddColumns("device", "kind", "backend", "description", "memory free / total");
        foreach (var d in runtime.Devices)
        {
            devices.AddRow(Markup.Escape(d.Name), d.Kind, Markup.Escape(d.Backend), Markup.Escape(d.Description),
                string.Create(CultureInfo.InvariantCulture, $"{d.MemoryFree / 1048576.0:F0} / {d.MemoryTotal / 1048576.0:F0} MiB"));
        }

        console.Write(devices);
        if (report is null)
        {
            return;
        }

        console.MarkupLine($"[bold]model[/] {Markup.Escape(report.Path)}");
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  {Markup.Escape(report.Description)}; arch {report.Architecture}, {report.Parameters:N0} parameters, {report.SizeBytes / 1048576.0:F1} MiB"));
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  width {report.EmbeddingSize}, layers {report.Layers}, heads {report.Heads} (kv {report.HeadsKv}), context {report.TrainingContext}, vocab {report.VocabSize}"));
        console.MarkupLine($"  transcript format [green]{report.TranscriptFormat}[/]{(report.TranscriptFormat == "project" ? " (no chat template)" : " (its chat template)")}");
        var tagTable = new Table().AddColumns("tag", "kind", "the model has it as", "policy counts", "gate reads", "open tokens", "close tokens");
        foreach (var t in report.Tags)
        {
            var token = TagReadout.Words(t.Readout.Token);
            tagTable.AddRow(Markup.Escape(t.Tag), t.Kind, t.Readout.ModelSignal ? $"[green]{token}[/]" : $"[yellow]{token}[/]",
                t.Kind == "mode" ? "-" : t.Readout.PolicyEntry ? string.Join("+", t.Readout.Counted) : "[red]no policy entry[/]",
                t.Readout.GateReads == "nothing" ? "[red]nothing[/]" : t.Readout.GateReads,
                string.Join(" ", t.OpenTokens), string.Join(" ", t.CloseTokens));
        }

        console.Write(tagTable);
        console.MarkupLine(report.ModeHead is { } head
            ? $"[bold]mode head[/] {Markup.Escape(head)}: every trace carries p(mode2) per token"
            : $"[bold]mode head[/] none (no {Markup.Escape(Path.GetFileName(Decoding.ModeHead.PathFor(report.Path)))} beside the model): no per-token mode signal; the decoder runs as before");
        foreach (var t in report.Tags.Where(t => t.Readout.Note is not null))
        {
            console.MarkupLine(Markup.Escape($"<{t.Tag}>: {t.Readout.Note}"));
        }
    }

    private sealed record TagReport(string Tag, string Kind, bool SingleToken, IReadOnlyList<int> OpenTokens, IReadOnlyList<int> CloseTokens, TagReadout Readout)
    {
        /// <summary>For a behaviour tag: whether the model's temptation is a signal the gate reads (a trained single control token).</summary>
        public bool ModelSignal => Readout.ModelSignal;

        /// <summary>How the model has the tag: <c>trained-token</c>, <c>untrained-token</c>, <c>unchecked-token</c> or <c>multi-token</c>.</summary>
        public string Token => Readout.Token switch
        {
            TagTokenState.TrainedToken => "trained-token",
            TagTokenState.UntrainedToken => "untrained-token",
            TagTokenState.UncheckedToken => "unchecked-token",
            _ => "multi-token",
        };
    }

    private sealed record ModelReport(string Path, string Description, string Architecture, ulong Parameters, ulong SizeBytes, int EmbeddingSize, int Layers,
        int Heads, int HeadsKv, int TrainingContext, int VocabSize, string TranscriptFormat, IReadOnlyList<TagReport> Tags)
    {
        /// <summary>The mode head beside the model (p(Mode 2) per token in every trace), or null: no per-token mode signal.</summary>
        public string? ModeHead { get; init; }

        public static ModelReport From(LlamaModel model, TagOptions options, PolicyOptions policy)
        {
            var tagSet = TagSet.Resolve(model.Vocab, options);
            var readouts = TagReadout.Describe(tagSet, TagTokens.Inspect(tagSet, model.Path), policy, classifierLoaded: null).ToDictionary(r => r.Tag);
            var tags = tagSet.Tags
                .Select(t => new TagReport(t.Name, t.Kind == TagKind.Mode ? "mode" : "behaviour", t.IsSingleToken, t.Open.Select(x => x.Value).ToArray(), t.Close.Select(x => x.Value).ToArray(), readouts[t.Name]))
                .ToArray();
            var template = LlamaChatTemplates.Read(model);
            LoadedModel.CheckFormat(template, model.Path);
            return new ModelReport(model.Path, model.Description, model.Architecture, model.ParameterCount, model.SizeBytes, model.EmbeddingSize, model.LayerCount,
                model.HeadCount, model.HeadCountKv, model.TrainingContextSize, model.Vocab.Count, Agent.Decoding.Transcripts.TranscriptFormat.ForModel(template, new ChatTemplateOptions()).Name, tags)
            {
                ModeHead = Decoding.ModeHead.TryLoad(model.Path)?.Path,
            };
        }
    }
}
