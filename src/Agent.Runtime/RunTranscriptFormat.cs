using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Runtime.Kernel;
using Microsoft.SemanticKernel;

namespace Agent.Runtime;

/// <summary>
/// The transcript format a run shows its model: <see cref="TranscriptFormat.ForModel"/> with the run's tools (from the
/// Semantic Kernel plugins' metadata) in the system prompt and the gate's monitored tags read back. The runner builds
/// every run's format here, and <c>agent tune</c>, <c>eval</c> and <c>score</c> build theirs here too, so a model is
/// tuned and measured on exactly the text the runtime will show it.
/// </summary>
public static class RunTranscriptFormat
{
    /// <summary>The format for a model with <paramref name="chatTemplate"/> (null or blank: the project's own format).</summary>
    /// <param name="chatTemplate">The model's <c>tokenizer.chat_template</c>, or null.</param>
    /// <param name="plugins">The run's plugins (what <see cref="IRunPluginFactory.CreatePlugins"/> gives).</param>
    /// <param name="monitoredTags">The behaviour tags the gate monitors (<see cref="MonitoredTags"/>).</param>
    /// <exception cref="TranscriptFormatException">The template is of a family the runtime does not lay out.</exception>
    public static ITranscriptFormat For(string? chatTemplate, IEnumerable<KernelPlugin> plugins, IReadOnlyCollection<string> monitoredTags) =>
        TranscriptFormat.ForModel(chatTemplate, Options(plugins, monitoredTags));

    /// <summary>What a chat template's transcript tells the model: the tools of <paramref name="plugins"/>, the tags read back.</summary>
    public static ChatTemplateOptions Options(IEnumerable<KernelPlugin> plugins, IReadOnlyCollection<string> monitoredTags)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(monitoredTags);
        return new ChatTemplateOptions { Tools = KernelToolDescriptions.From(plugins), Tags = monitoredTags };
    }

    /// <summary>The behaviour tags the gate monitors: <see cref="AgentOptions.BannedTags"/>, or every behaviour tag when none is banned.</summary>
    public static IReadOnlyList<string> MonitoredTags(AgentOptions agent, TagOptions tags)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(tags);
        return agent.BannedTags.Count > 0 ? [.. agent.BannedTags] : [.. tags.Behaviours];
    }
}
