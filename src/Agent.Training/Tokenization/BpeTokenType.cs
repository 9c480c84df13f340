namespace Agent.Training.Tokenization;

/// <summary>Token types as GGUF's <c>tokenizer.ggml.token_type</c> (llama.cpp's <c>llama_token_type</c>) numbers them.</summary>
public enum BpeTokenType
{
    /// <summary>An ordinary token (byte or merge).</summary>
    Normal = 1,

    /// <summary>A control token: <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> and every tag; matched as a whole before pre-tokenisation.</summary>
    Control = 3,
}
