using Agent.Runtime.Execution;
using Agent.Sandbox;

namespace Agent.Runtime.Tests.Execution;

/// <summary>The one mapping from sandbox and tool exceptions to the runtime's failure type.</summary>
public sealed class ToolExecutionExceptionTests
{
    [Fact]
    public void From_SandboxAndToolExceptions_MapToTypedReasons()
    {
        Assert.Equal(ToolFailure.ContainerDied, ToolExecutionException.From(new SandboxContainerDiedException("c", "gone"))!.Reason);
        Assert.Equal(ToolFailure.PathRefused, ToolExecutionException.From(new SandboxPathException("/etc", "outside"))!.Reason);
        Assert.Equal(ToolFailure.InvalidArguments, ToolExecutionException.From(new ArgumentException("empty"))!.Reason);
        Assert.Equal(ToolFailure.Failed, ToolExecutionException.From(new IOException("disk"))!.Reason);
    }

    [Fact]
    public void From_SandboxBroke_FailsTheRunOtherwiseNot()
    {
        Assert.True(ToolExecutionException.From(new SandboxContainerDiedException("c", "gone"))!.FailsRun);
        Assert.False(ToolExecutionException.From(new SandboxPathException("/etc", "outside"))!.FailsRun);
    }

    [Fact]
    public void From_NotAToolFailure_IsNull()
    {
        Assert.Null(ToolExecutionException.From(new InvalidOperationException("bug")));
        Assert.Null(ToolExecutionException.From(new OperationCanceledException()));
    }

    [Fact]
    public void From_Message_IsTheSandboxMessage()
    {
        var died = new SandboxContainerDiedException("c", "gone");

        Assert.Equal((died.Message, (Exception)died), (ToolExecutionException.From(died)!.Message, ToolExecutionException.From(died)!.InnerException!));
    }
}
