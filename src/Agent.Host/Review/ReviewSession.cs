namespace Agent.Host.Review;

/// <summary>A signed-in reviewer of the review page.</summary>
/// <param name="Id">The session cookie's value: 256 random bits.</param>
/// <param name="Reviewer">The name the reviewer signed in with; decisions are recorded under it.</param>
/// <param name="CsrfToken">The antiforgery token every state-changing request of this session must carry (another 256 random bits).</param>
/// <param name="Expires">When the session ends.</param>
internal sealed record ReviewSession(string Id, string Reviewer, string CsrfToken, DateTimeOffset Expires);
