using Microsoft.SemanticKernel;

namespace Agent.Runtime;

/// <summary>Creates the tools (Semantic Kernel plugins) of one run, bound to that run's sandbox. The composition root implements it.</summary>
public interface IRunPluginFactory
{
    /// <summary>The plugins of <paramref name="runId"/>; a function <c>run</c> of plugin <c>shell</c> is the tool <c>shell.run</c>.</summary>
    IEnumerable<KernelPlugin> CreatePlugins(string runId);
}
