namespace Agent.Decoding.Engine;

/// <summary>What the <see cref="TagGuard"/> decided about a chosen token.</summary>
internal enum GuardOutcome
{
    /// <summary>Nothing held can start a banned tag: emit every held token.</summary>
    Release,

    /// <summary>The held tokens may still become a banned tag: hold them and decode on.</summary>
    Hold,

    /// <summary>A banned tag just completed: its tokens were taken back; resample at <see cref="TagGuard.TakenBackAt"/>.</summary>
    TakeBack,
}
