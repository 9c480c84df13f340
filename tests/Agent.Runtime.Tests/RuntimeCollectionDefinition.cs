namespace Agent.Runtime.Tests;

/// <summary>Tests that use Docker and llama.cpp run one at a time (2 cores; one Docker daemon).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RuntimeCollectionDefinition
{
    public const string Name = "Runtime";
}
