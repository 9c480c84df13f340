using System.CommandLine;

namespace Agent.Host.Commands;

/// <summary>The verbs of the <c>agent</c> executable, one line per verb group.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return InfoCommand.Create();
        yield return GenerateCommand.Create();
        yield return SandboxCommand.Create();
        yield return TrainCommand.Create();
        yield return TuneCommand.Create();
        yield return ScoreCommand.Create();
        yield return EvalCommand.Create();
        yield return ExperimentCommand.Create();
        yield return ClassifierCommand.Create();
        yield return AuditCommand.Create();
        yield return RunCommand.Create();
        yield return ReviewCommand.Create();
        yield return ServeCommand.Create();
        yield return SubmitCommand.Create();
        yield return BenchRuntimeCommand.Create();
    }
}
