using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Agent.Host;

/// <summary>
/// The transcript format the runtime shows a model, for the verbs that train or measure one outside a run (<c>tune</c>,
/// <c>eval</c>, <c>score</c>): <see cref="RunTranscriptFormat"/> with the tools of the run plugin factory and the tags the
/// gate monitors, as <c>AgentRunner</c> builds it for every run. Building it starts nothing: no sandbox, no Docker call.
/// </summary>
internal static class ModelTranscriptFormat
{
    /// <summary>Registers what the format needs: the Agent section, the sandboxes' options and the run plugin factory.</summary>
    public static void Add(HostApplicationBuilder builder)
    {
        AgentHost.AddValidatedOptions<AgentOptions>(builder.Services, AgentOptions.Section);
        AgentHost.AddSandboxes(builder);
        builder.Services.TryAddSingleton<IRunPluginFactory, SandboxPluginFactory>();
    }

    /// <summary>The runtime's format for a model with <paramref name="chatTemplate"/> (null: the project's own format).</summary>
    /// <exception cref="TranscriptFormatException">The template is of a family the runtime does not lay out.</exception>
    public static ITranscriptFormat For(IServiceProvider services, string? chatTemplate)
    {
        var agent = AgentHost.Options<AgentOptions>(services, AgentOptions.Section);
        var tags = AgentHost.Options<TagOptions>(services, TagOptions.Section);
        var plugins = services.GetRequiredService<IRunPluginFactory>().CreatePlugins("transcript-format");
        return RunTranscriptFormat.For(chatTemplate, plugins, RunTranscriptFormat.MonitoredTags(agent, tags));
    }

    /// <summary>The runtime's format for the model at <paramref name="modelPath"/>, read from its GGUF's <c>tokenizer.chat_template</c>.</summary>
    /// <exception cref="ArgumentException">The template is of a family the runtime does not lay out (a usage error: exit 2); the message names the file.</exception>
    /// <param name="services">The verb's services (see <see cref="Add"/>).</param>
    /// <param name="modelPath">The GGUF.</param>
    /// <param name="remedy">A sentence appended to the error: what else the verb can do.</param>
    public static ITranscriptFormat ForFile(IServiceProvider services, string modelPath, string remedy = "")
    {
        try
        {
            return For(services, ChatTemplateOf(modelPath));
        }
        catch (TranscriptFormatException e)
        {
            throw new ArgumentException($"'{modelPath}': {e.Message}{(remedy.Length > 0 ? " " + remedy : string.Empty)}", e);
        }
    }

    /// <summary>The runtime's format for a loaded model (its chat template as llama.cpp reads it, as <c>LoadedModel</c> does).</summary>
    /// <exception cref="ModelLoadException">The template is of a family the runtime does not lay out; the message names the file.</exception>
    public static ITranscriptFormat ForLoaded(IServiceProvider services, LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            return For(services, LlamaChatTemplates.Read(model));
        }
        catch (TranscriptFormatException e)
        {
            throw new ModelLoadException($"'{model.Path}': {e.Message}");
        }
    }

    /// <summary>A GGUF's <c>tokenizer.chat_template</c>, or null when it has none (its metadata only is read).</summary>
    public static string? ChatTemplateOf(string modelPath) => Agent.Llama.Gguf.GgufFile.ReadChatTemplate(modelPath);
}
