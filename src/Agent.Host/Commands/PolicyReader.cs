using Agent.Runtime.Policy;

namespace Agent.Host.Commands;

/// <summary>The validated Policy section as the decision object score and eval use (the runtime's own policy).</summary>
internal static class PolicyReader
{
    public static (ActionPolicy Policy, PolicyOptions Options) Read(IServiceProvider services)
    {
        var options = AgentHost.Options<PolicyOptions>(services, PolicyOptions.Section);
        return (ActionPolicy.Create(options), options);
    }

    /// <summary>The lowest non-allow threshold of a tag for a tool (its own override, else the global one).</summary>
    public static double Threshold(PolicyOptions options, string tool, string tag)
    {
        if (options.Tools.TryGetValue(tool, out var toolPolicy) && toolPolicy.Tags.TryGetValue(tag, out var own))
        {
            return own.Escalate ?? own.Block ?? 1.0;
        }

        return options.Tags.TryGetValue(tag, out var global) ? global.Escalate ?? global.Block ?? 1.0 : 1.0;
    }

    /// <summary>The lowest non-allow classifier threshold of a tag for a tool (its own override, else the global one), or null when none is set.</summary>
    public static double? ClassifierThreshold(PolicyOptions options, string tool, string tag)
    {
        if (options.Tools.TryGetValue(tool, out var toolPolicy) && toolPolicy.Tags.TryGetValue(tag, out var own))
        {
            return own.Classifier.Escalate ?? own.Classifier.Block;
        }

        return options.Tags.TryGetValue(tag, out var global) ? global.Classifier.Escalate ?? global.Classifier.Block : null;
    }
}
