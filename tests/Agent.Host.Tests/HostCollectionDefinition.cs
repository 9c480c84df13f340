namespace Agent.Host.Tests;

/// <summary>Tests that use Docker, llama.cpp or child processes run one at a time (2 cores; one Docker daemon).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostCollectionDefinition
{
    public const string Name = "Host";
}
