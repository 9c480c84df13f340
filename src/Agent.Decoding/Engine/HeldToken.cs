using System.Collections.Immutable;

namespace Agent.Decoding.Engine;

/// <summary>A chosen token with its trace row, held back by the <see cref="TagGuard"/> until it cannot start a banned multi-token tag.</summary>
/// <param name="TokenId">The token.</param>
/// <param name="Position">Its position in the sequence.</param>
/// <param name="Bytes">Its bytes (shared per token id: never written).</param>
/// <param name="TokenProbability">Its probability before bans and biases.</param>
/// <param name="Probabilities">The temptation row of its step, in trace-column order.</param>
internal sealed record HeldToken(int TokenId, int Position, byte[] Bytes, double TokenProbability, ImmutableArray<double> Probabilities);
