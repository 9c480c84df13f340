namespace Agent.Decoding.Transcripts;

/// <summary>Factory of transcript formats: the one object that decides, for training and the runtime alike, how a model reads a conversation.</summary>
public static class TranscriptFormat
{
    /// <summary>The project's own transcript format (stateless and thread-safe): the default model's, and that of any model without a chat template.</summary>
    public static ITranscriptFormat Default { get; } = new TranscriptCodec();

    /// <summary>
    /// The format for a model: <see cref="Default"/> when it has no chat template (<paramref name="chatTemplate"/> null or
    /// blank), else <see cref="ForChatTemplate"/>.
    /// </summary>
    /// <exception cref="TranscriptFormatException">The template is of a family this runtime does not render.</exception>
    public static ITranscriptFormat ForModel(string? chatTemplate, ChatTemplateOptions options) =>
        string.IsNullOrWhiteSpace(chatTemplate) ? Default : ForChatTemplate(chatTemplate, options);

    /// <summary>The format that lays conversations out in <paramref name="chatTemplate"/> (a GGUF's <c>tokenizer.chat_template</c>).</summary>
    /// <exception cref="TranscriptFormatException">The template is of a family this runtime does not render; the message names the families.</exception>
    public static IChatTranscriptFormat ForChatTemplate(string chatTemplate, ChatTemplateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ChatTemplateFormat(DetectFamily(chatTemplate), options);
    }

    /// <summary>
    /// The family of a chat template, found as llama.cpp finds it (<c>llm_chat_detect_template</c>: the template's
    /// delimiters, or a built-in name such as <c>chatml</c>), so the layout is the one llama.cpp would use.
    /// </summary>
    /// <exception cref="TranscriptFormatException">Neither ChatML nor Llama 3.</exception>
    public static ChatTemplateFamily DetectFamily(string chatTemplate)
    {
        ArgumentNullException.ThrowIfNull(chatTemplate);
        var t = chatTemplate.Trim();
        if (t == "chatml" || (t.Contains("<|im_start|>", StringComparison.Ordinal) && !t.Contains("<|im_sep|>", StringComparison.Ordinal)
            && !t.Contains("<end_of_utterance>", StringComparison.Ordinal)))
        {
            return ChatTemplateFamily.ChatMl;
        }

        if (t == "llama3" || (t.Contains("<|start_header_id|>", StringComparison.Ordinal) && t.Contains("<|end_header_id|>", StringComparison.Ordinal)
            && !t.Contains("[INST]", StringComparison.Ordinal)))
        {
            return ChatTemplateFamily.Llama3;
        }

        var start = t.Length > 60 ? t[..60] + "..." : t;
        throw new TranscriptFormatException(
            $"The model's chat template ('{start.ReplaceLineEndings(" ")}') is not one this runtime lays out: it renders ChatML (<|im_start|>: Qwen 2.5 / 3, SmolLM, Hermes) "
            + "and Llama 3 (<|start_header_id|>). Use a GGUF of one of those families, or one without a chat template (the project's own format).");
    }
}
