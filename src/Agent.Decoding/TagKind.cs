namespace Agent.Decoding;

/// <summary>What a tag marks.</summary>
public enum TagKind
{
    /// <summary>A mode tag (<c>&lt;mode1&gt;</c>, <c>&lt;mode2&gt;</c>).</summary>
    Mode,

    /// <summary>A behaviour tag (<c>&lt;deceit&gt;</c>, <c>&lt;powerseeking&gt;</c>, ...).</summary>
    Behaviour,
}
