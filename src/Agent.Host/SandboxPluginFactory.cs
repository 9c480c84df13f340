using Agent.Plugins.Files;
using Agent.Plugins.Shell;
using Agent.Runtime;
using Agent.Sandbox;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace Agent.Host;

/// <summary>The tools of a run: the shell and files plugins over the run's sandbox.</summary>
internal sealed class SandboxPluginFactory(ISandboxService sandboxes, IOptions<SandboxOptions> options) : IRunPluginFactory
{
    public IEnumerable<KernelPlugin> CreatePlugins(string runId) =>
    [
        KernelPluginFactory.CreateFromObject(new ShellPlugin(sandboxes, runId), ShellPlugin.Name),
        KernelPluginFactory.CreateFromObject(new FilesPlugin(sandboxes, runId, options.Value.WorkspacePath), FilesPlugin.Name),
    ];
}
