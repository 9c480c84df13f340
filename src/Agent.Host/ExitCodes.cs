using Agent.Decoding;
using Agent.Llama;

namespace Agent.Host;

/// <summary>Process exit codes, and which exceptions are the user's to fix (printed as one line, no stack trace).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command failed at its task (a test, a run).</summary>
    public const int Failed = 1;

    /// <summary>Bad input, configuration or environment: the message says what to fix.</summary>
    public const int UserError = 2;

    /// <summary>Whether an exception describes something the user can fix.</summary>
    public static bool IsUserError(Exception e) => e is ConfigurationException or ModelLoadException or LlamaNativeLibraryException
        or LlamaContextException or UnknownTagException or GgufException or FileNotFoundException or ArgumentException
        or Agent.Runtime.Storage.RunStoreException or Agent.Runtime.Storage.ApprovalException or Microsoft.Extensions.Options.OptionsValidationException
        or Agent.Monitoring.ClassifierWeightsException or Agent.Monitoring.EncoderLoadException
        or Agent.Training.Tuning.UnsupportedBaseModelException or Agent.Training.Tuning.TuneMemoryException or Agent.Training.Tagging.CorpusException
        or ModeHeadException;
}
