namespace Agent.Decoding.Transcripts;

/// <summary>One message of a chat as a chat template lays it out: a role (<c>system</c>, <c>user</c>, <c>assistant</c>, the template's tool role) and its content.</summary>
/// <param name="Role">The role.</param>
/// <param name="Content">The content, escaped and with its tags, exactly as it goes between the template's delimiters.</param>
public sealed record TemplateMessage(string Role, string Content);
