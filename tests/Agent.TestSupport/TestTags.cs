using Agent.Decoding;

namespace Agent.TestSupport;

/// <summary>The tag configuration of the tiny test models: modes mode1/mode2, behaviours deceit/powerseeking (and any extra).</summary>
public static class TestTags
{
    public static TagOptions Default(params string[] extraBehaviours)
    {
        var options = new TagOptions();
        options.Modes.Add("mode1");
        options.Modes.Add("mode2");
        options.Behaviours.Add("deceit");
        options.Behaviours.Add("powerseeking");
        foreach (var extra in extraBehaviours)
        {
            options.Behaviours.Add(extra);
        }

        return options;
    }
}
