namespace Agent.Training.Corpus;

/// <summary>A prose template: an opening, body sentences (a random ordered subset is used) and a closing.</summary>
internal sealed record ProseTemplate(string Family, string Name, string[] Openings, string[] Body, string[] Closings)
{
    public string Id => Family + "/" + Name;
}
