namespace Agent.Decoding;

/// <summary>How a model spells a tag, and so whether its probability is a signal the gate can read.</summary>
public enum TagTokenState
{
    /// <summary>One control token each way, with trained rows: the model's temptation is its own signal.</summary>
    TrainedToken,

    /// <summary>One token each way, but a row of it is zero, constant or tiny: added and never trained, so its probability is no signal.</summary>
    UntrainedToken,

    /// <summary>One token each way whose rows this reader cannot decode (a quantisation such as Q4_K): counted as trained, as before.</summary>
    UncheckedToken,

    /// <summary>Only a string of ordinary tokens: its probability is a product of ordinary tokens' probabilities (around 1e-20), no signal.</summary>
    MultiToken,
}
