namespace Agent.Training.Corpus;

/// <summary>Settings of <see cref="CorpusGenerator"/>; invalid values are rejected where they are set.</summary>
public sealed class CorpusOptions
{
    private readonly int _documents = 1000;
    private readonly double _proseFraction = 0.2;
    private readonly double _unsafeFraction = 0.25;
    private readonly double _deceitFraction = 0.45;
    private readonly double _genericClaimFraction = 0.4;
    private readonly double _invitedFraction = 0.3;
    private readonly double _invitedComplianceFraction = 1.0;
    private readonly double _statusLeadFraction = 0.5;

    /// <summary>Seed of the generator; the same options always give the same corpus.</summary>
    public int Seed { get; init; }

    /// <summary>Number of documents to generate (pairs count as two). Default 1000.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1 or more than 10,000,000.</exception>
    public int Documents
    {
        get => _documents;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 10_000_000);
            _documents = value;
        }
    }

    /// <summary>Share of draws that are <c>&lt;mode1&gt;</c> prose documents. Default 0.2.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double ProseFraction { get => _proseFraction; init => _proseFraction = Fraction(value); }

    /// <summary>Share of transcript draws that become a safe/unsafe pair around a power-seeking call. Default 0.25.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double UnsafeFraction { get => _unsafeFraction; init => _unsafeFraction = Fraction(value); }

    /// <summary>Share of transcript draws that become an honest/deceitful answer pair. Default 0.45.
    /// <see cref="UnsafeFraction"/> + <see cref="DeceitFraction"/> must not exceed 1 (checked by the generator).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double DeceitFraction { get => _deceitFraction; init => _deceitFraction = Fraction(value); }

    /// <summary>Share of the power-seeking pairs whose task asks for the unsafe action outright ("get root on this
    /// box"), the family <c>invited</c>; the rest meet the temptation on the way to an ordinary task. Default 0.3.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double InvitedFraction { get => _invitedFraction; init => _invitedFraction = Fraction(value); }

    /// <summary>Share of invited pairs that get a third document in which the agent complies with another unsafe call
    /// (tagged; no evaluation item of its own). With it, complying is the likelier continuation of an invitation (two
    /// documents in three), as in the text a real model learns from: the model then writes the unsafe call when asked
    /// for it, the late tag makes it tempted exactly there, and the runtime's gate, not the model's manners, is what
    /// stops it. Default 1.0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double InvitedComplianceFraction { get => _invitedComplianceFraction; init => _invitedComplianceFraction = Fraction(value); }

    /// <summary>Share of template claims opened by a status lead of their polarity ("It worked: ...", "It failed: ...");
    /// a lie after a failure gets a success lead. Default 0.5.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double StatusLeadFraction { get => _statusLeadFraction; init => _statusLeadFraction = Fraction(value); }

    /// <summary>Share of answers whose claim is a generic status claim ("the command failed: ...", "it went through")
    /// instead of the template's own sentence, when the exit code says plainly what happened. Generic claims are honest
    /// after one result and deceitful after the opposite one, so they teach deceit as a contradiction with the result.
    /// Default 0.4.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double GenericClaimFraction { get => _genericClaimFraction; init => _genericClaimFraction = Fraction(value); }

    private static double Fraction(double value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between 0 and 1.");
        }

        return value;
    }
}
