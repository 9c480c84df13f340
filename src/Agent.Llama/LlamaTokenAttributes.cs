namespace Agent.Llama;

/// <summary>Mirrors <c>enum llama_token_attr</c>.</summary>
[Flags]
public enum LlamaTokenAttributes
{
    /// <summary>No attribute.</summary>
    None = 0,

    /// <summary>The unknown token.</summary>
    Unknown = 1 << 0,

    /// <summary>An unused slot.</summary>
    Unused = 1 << 1,

    /// <summary>A normal text token.</summary>
    Normal = 1 << 2,

    /// <summary>A control token (such as a tag): one token, never spelled by text unless special parsing is on.</summary>
    Control = 1 << 3,

    /// <summary>A user-defined token.</summary>
    UserDefined = 1 << 4,

    /// <summary>A byte token.</summary>
    Byte = 1 << 5,

    /// <summary>Normalized.</summary>
    Normalized = 1 << 6,

    /// <summary>Strips space on its left.</summary>
    LStrip = 1 << 7,

    /// <summary>Strips space on its right.</summary>
    RStrip = 1 << 8,

    /// <summary>Matches whole words only.</summary>
    SingleWord = 1 << 9,
}
