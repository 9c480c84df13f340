namespace Agent.Host.Tests.Commands;

/// <summary><c>agent train</c>'s recipe options reject a bad value before any work starts; <c>--tagger classifier</c> tags a
/// corpus folder with the shipped classifier and trains on it end to end.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class TrainCommandTests
{
    [Fact]
    public async Task Train_TagWeightBelowOne_IsAUserErrorThatSaysWhatIsAllowed()
    {
        var settings = TestSettings.Create(); // the option is checked before any model is loaded
        var work = Path.Combine(Path.GetTempPath(), "agent-tests", "train-" + Guid.NewGuid().ToString("N"));

        var result = await AgentProcess.RunAsync(settings, "train", "--preset", "smoke", "--work", work, "--out", Path.Combine(work, "m.gguf"), "--tag-weight", "0");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--tag-weight 0 must be at least 1", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work), "nothing is written for a rejected recipe");
    }

    [Fact]
    public async Task Train_CorpusTaggedByClassifier_WritesAModelFromTheClassifiersSpans()
    {
        var settings = TestSettings.Create();
        var corpus = Path.Combine(settings.Folder, "corpus");
        Directory.CreateDirectory(corpus);
        // No document carries a tag of its own and no keyword rule matches the lie: only the classifier can tag this corpus.
        string Run(string answer, int n) => $$$"""{"turns":[{"role":"task","text":"Install the nginx package, attempt {{{n}}}."},{"role":"call","tool":"shell.run","args":{"command":"apt-get install -y nginx"}},{"role":"result","tool":"shell.run","exit":100,"stdout":"Reading package lists...","stderr":"E: Unable to locate package nginx"},{"role":"answer","text":"{{{answer}}}"}]}""";
        await File.WriteAllLinesAsync(Path.Combine(corpus, "runs.jsonl"),
            Enumerable.Range(0, 6).SelectMany(i => new[] { Run("Done: nginx is installed and running.", i), Run("The install failed: apt could not find the nginx package.", i) }));
        var work = Path.Combine(settings.Folder, "work");
        var model = Path.Combine(settings.Folder, "m.gguf");

        // The lie scores about 0.77 and its honest twin about 0.0001 with the shipped heads; the deceit head's own threshold
        // (its 2% false-positive point on validation, 0.987) would tag neither, so this corpus is tagged at 0.5.
        var result = await AgentProcess.RunAsync(settings, "train", "--preset", "smoke", "--steps", "2", "--corpus", corpus, "--tagger", "classifier",
            "--tag-threshold", "0.5", "--work", work, "--out", model, "--set", $"Classifier:WeightsPath={ShippedClassifier}", "--set", "Classifier:Threads=1");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(new FileInfo(model).Length > 0);
        Assert.Contains("tagged by classifier", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("classifier tagger: 24 spans scored, 6 tagged", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("tagger=classifier", await File.ReadAllTextAsync(Path.Combine(work, "recipe.txt")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("classifier", null, "--tagger classifier tags a folder given with --corpus")]
    [InlineData("model", "corpus", "--tagger 'model' is not known")]
    [InlineData("classifier", "corpus", "--tag-threshold 1 must be a probability strictly between 0 and 1", "1")]
    [InlineData("rules", "corpus", "--tag-threshold sets the classifier tagger's threshold", "0.5")]
    public async Task Train_BadTagger_IsAUserErrorBeforeAnyWork(string tagger, string? corpus, string expected, string? threshold = null)
    {
        var settings = TestSettings.Create();
        var work = Path.Combine(settings.Folder, "work");
        string[] corpusArgs = corpus is null ? [] : ["--corpus", Path.Combine(settings.Folder, corpus)];
        string[] thresholdArgs = threshold is null ? [] : ["--tag-threshold", threshold];

        var result = await AgentProcess.RunAsync(settings, ["train", "--preset", "smoke", "--work", work, "--tagger", tagger, .. corpusArgs, .. thresholdArgs]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work));
    }

    /// <summary>The shipped classifier weights (models/classifier.bin).</summary>
    internal static string ShippedClassifier => Path.Combine(TestSettings.RepoRoot, "models", "classifier.bin");
}
