namespace Agent.Runtime.Execution;

/// <summary>Why a tool did not finish normally; what the runtime does next depends only on this.</summary>
public enum ToolFailure
{
    /// <summary>The command ran past <c>Sandbox:ExecTimeoutSeconds</c> and was killed (exit 124; the model sees its partial output).</summary>
    Timeout,

    /// <summary>The command ran out of memory and was killed (exit 137; the model sees its partial output).</summary>
    OutOfMemory,

    /// <summary>A path outside the workspace was refused (exit 1; the model is told why).</summary>
    PathRefused,

    /// <summary>The tool refused its arguments (exit 1; the model is told why).</summary>
    InvalidArguments,

    /// <summary>The tool failed in another way the model can react to (exit 1; the model is told why).</summary>
    Failed,

    /// <summary>The sandbox's container died: the run fails.</summary>
    ContainerDied,

    /// <summary>The sandbox cannot run at all (Docker unavailable or too old, image build failed): the run fails.</summary>
    SandboxUnavailable,
}
