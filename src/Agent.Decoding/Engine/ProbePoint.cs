namespace Agent.Decoding.Engine;

/// <summary>A temptation row still to be completed by the multi-token lookahead: the sequence, the position the row predicts, and the row.</summary>
internal readonly record struct ProbePoint(int Sequence, int Position, double[] Probabilities);
