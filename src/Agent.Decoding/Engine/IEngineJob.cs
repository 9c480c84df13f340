namespace Agent.Decoding.Engine;

/// <summary>Work other than a generation step that needs the context; the scheduler runs it on the engine between steps.</summary>
internal interface IEngineJob
{
    /// <summary>Runs the job; it hands its own result or error to its caller.</summary>
    void Run();

    /// <summary>The decoder stopped before the job ran.</summary>
    void Fail(Exception error);
}
