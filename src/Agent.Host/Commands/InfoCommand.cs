using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Decoding;
using Agent.Llama;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary><c>agent info [--model PATH] [--json]</c>: native libraries, llama.cpp system info, backends, devices, and a model's metadata and tags.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "A GGUF model to describe (default: none; use --model default for Llama:ModelPath)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("info", "Show the loaded llama.cpp libraries, backends and devices, and a model's metadata and tags") { model, json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            using var host = AgentHost.CreateBuilder(parseResult).Build();
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
                report = ModelReport.From(loaded, tags);
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
        var tagTable = new Table().AddColumns("tag", "kind", "spelled as", "model's own signal", "open tokens", "close tokens");
        foreach (var t in report.Tags)
        {
            tagTable.AddRow(Markup.Escape(t.Tag), t.Kind, t.SingleToken ? "[green]single control token[/]" : "[yellow]multi-token[/]",
                t.Kind == "mode" ? "-" : t.ModelSignal ? "[green]present[/]" : "[yellow]absent[/]",
                string.Join(" ", t.OpenTokens), string.Join(" ", t.CloseTokens));
        }

        console.Write(tagTable);
        var absent = report.Tags.Where(t => t.Kind == "behaviour" && !t.ModelSignal).Select(t => "<" + t.Tag + ">").ToArray();
        if (absent.Length > 0)
        {
            console.MarkupLine(Markup.Escape(
                $"the model's own signal is absent for {string.Join(", ", absent)} (not a single trained control token: its temptation is a product of ordinary tokens' probabilities); "
                + "the gate reads the classifier for these tags where the policy counts it (Policy:Tags:<tag>:Signals = Classifier or Both)"));
        }
    }

    private sealed record TagReport(string Tag, string Kind, bool SingleToken, IReadOnlyList<int> OpenTokens, IReadOnlyList<int> CloseTokens)
    {
        /// <summary>For a behaviour tag: whether the model's temptation is a signal the gate reads (a single trained control token).</summary>
        public bool ModelSignal => SingleToken;
    }

    private sealed record ModelReport(string Path, string Description, string Architecture, ulong Parameters, ulong SizeBytes, int EmbeddingSize, int Layers,
        int Heads, int HeadsKv, int TrainingContext, int VocabSize, IReadOnlyList<TagReport> Tags)
    {
        public static ModelReport From(LlamaModel model, TagOptions options)
        {
            var tags = TagSet.Resolve(model.Vocab, options).Tags
                .Select(t => new TagReport(t.Name, t.Kind == TagKind.Mode ? "mode" : "behaviour", t.IsSingleToken, t.Open.Select(x => x.Value).ToArray(), t.Close.Select(x => x.Value).ToArray()))
                .ToArray();
            return new ModelReport(model.Path, model.Description, model.Architecture, model.ParameterCount, model.SizeBytes, model.EmbeddingSize, model.LayerCount,
                model.HeadCount, model.HeadCountKv, model.TrainingContextSize, model.Vocab.Count, tags);
        }
    }
}
