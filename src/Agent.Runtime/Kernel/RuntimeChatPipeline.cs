using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Agent.Runtime.Kernel;

/// <summary>The Microsoft.Extensions.AI pipeline every model step of a run goes through.</summary>
internal static class RuntimeChatPipeline
{
    /// <summary>
    /// <paramref name="inner"/> (the step source's chat client) inside the pipeline: the gen_ai <c>chat</c> span of
    /// <c>UseOpenTelemetry</c> on the runtime's own source (<see cref="RuntimeTelemetry.Name"/>, so it is a child of
    /// <c>agent.step</c> and exported with it; message text stays out of it), then, when there is a logger factory,
    /// <c>UseLogging</c> (its Trace level writes the messages and the response, the temptation trace included).
    /// </summary>
    /// <returns>The pipeline; disposing it disposes <paramref name="inner"/>.</returns>
    public static IChatClient Build(IChatClient inner, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var builder = inner.AsBuilder().UseOpenTelemetry(loggerFactory, RuntimeTelemetry.Name);
        if (loggerFactory is not null)
        {
            builder.UseLogging(loggerFactory);
        }

        return builder.Build();
    }
}
