namespace Agent.TestSupport;

/// <summary>Chat templates of real model families (Jinja text as their GGUFs carry it) and tiny-model specs that carry them.</summary>
public static class ChatTemplates
{
    /// <summary>A Qwen 2.5 style ChatML template (abridged: its tool-call branch as published, the rest of the layout unchanged).</summary>
    public const string ChatMl =
        "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- endif %}"
        + "{{- \"\\n\\n# Tools\\n\\n<tools>\" }}{%- for tool in tools %}{{- \"\\n\" }}{{- tool | tojson }}{%- endfor %}{{- \"\\n</tools><|im_end|>\\n\" }}{%- endif %}"
        + "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}"
        + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

    /// <summary>A Llama 3.1 style template (abridged).</summary>
    public const string Llama3 =
        "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
        + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

    /// <summary>A Gemma style template, which the runtime does not lay out.</summary>
    public const string Gemma = "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\\n' + message['content'] + '<end_of_turn>\\n' }}{% endfor %}";

    /// <summary>A tiny model with the ChatML template and its delimiters as control tokens.</summary>
    public static TinyModelSpec ChatMlModel { get; } = new() { ChatTemplate = ChatMl, ExtraControlTokens = ["<|im_start|>", "<|im_end|>"] };

    /// <summary>A tiny model with the Llama 3 template and its delimiters as control tokens.</summary>
    public static TinyModelSpec Llama3Model { get; } = new() { ChatTemplate = Llama3, ExtraControlTokens = ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>"] };
}
