using System.ComponentModel.DataAnnotations;

namespace Agent.Host.Tests;

/// <summary>The Http section: Http:Url is checked as an address after resolution, never as a name Kestrel might bind to every interface.</summary>
public sealed class HttpOptionsTests
{
    [Theory]
    [InlineData("http://0.0.0.0:5380")]
    [InlineData("http://[::]:5380")]
    [InlineData("http://192.0.2.2:5380")]
    [InlineData("http://[::ffff:192.0.2.2]:5380")]
    [InlineData("http://no-such-host.invalid:5380")]
    [InlineData("http://*:5380")]
    [InlineData("http://+:5380")]
    [InlineData("https://127.0.0.1:5380")]
    [InlineData("http://127.0.0.1:5380/api")]
    [InlineData("127.0.0.1:5380")]
    public void Validate_NotALoopbackHttpUrl_FailsNamingHttpUrl(string url)
    {
        var failures = Validate(new HttpOptions { Url = url, Token = TestSettings.Token });

        var failure = Assert.Single(failures);
        Assert.Contains($"Http:Url '{url}'", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5380")]
    [InlineData("http://127.0.0.2:5380")]
    [InlineData("http://[::1]:5380")]
    [InlineData("http://localhost:5380")]
    [InlineData("http://LOCALHOST:5380")]
    [InlineData("http://[::ffff:127.0.0.1]:5380")]
    [InlineData("http://loopback:5380")] // .NET resolves the name 'loopback' to loopback addresses; those, not the name, are bound (ServeCommandTests)
    public void Validate_LoopbackUrl_Passes(string url)
    {
        Assert.Empty(Validate(new HttpOptions { Url = url, Token = TestSettings.Token }));
    }

    [Theory]
    [InlineData("http://0.0.0.0:5380")]
    [InlineData("http://[::]:5380")]
    [InlineData("http://192.0.2.2:5380")]
    public void Validate_NonLoopbackWithAllowNonLoopbackAndToken_Passes(string url)
    {
        Assert.Empty(Validate(new HttpOptions { Url = url, Token = TestSettings.Token, AllowNonLoopback = true }));
    }

    [Fact]
    public void Validate_AllowNonLoopbackWithoutToken_FailsNamingBothKeys()
    {
        var failure = Assert.Single(Validate(new HttpOptions { Url = "http://0.0.0.0:5380", AllowNonLoopback = true }));

        Assert.Contains("Http:AllowNonLoopback", failure, StringComparison.Ordinal);
        Assert.Contains("Http:Token", failure, StringComparison.Ordinal);
    }

    private static List<string> Validate(HttpOptions options) =>
        options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage!).ToList();
}
