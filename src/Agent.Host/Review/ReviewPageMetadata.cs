namespace Agent.Host.Review;

/// <summary>Marks an endpoint as a page of the review site: a request without a token or session is sent to the sign-in form rather than answered 401.</summary>
internal sealed class ReviewPageMetadata
{
    public static ReviewPageMetadata Instance { get; } = new();
}
