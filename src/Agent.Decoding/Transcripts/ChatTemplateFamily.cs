namespace Agent.Decoding.Transcripts;

/// <summary>The chat-template layouts the runtime renders, named as llama.cpp names its built-in templates.</summary>
public enum ChatTemplateFamily
{
    /// <summary><c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> (Qwen 2.5 / 3, SmolLM, Hermes); tool calls as <c>&lt;tool_call&gt;{json}&lt;/tool_call&gt;</c>, tool results in role <c>tool</c>.</summary>
    ChatMl,

    /// <summary><c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</c> (Llama 3.x), content trimmed; tool calls as a JSON object, tool results in role <c>ipython</c>.</summary>
    Llama3,
}
