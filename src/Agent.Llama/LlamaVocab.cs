using System.Runtime.InteropServices;
using System.Text;
using Agent.Llama.Native;
using LLama.Native;

namespace Agent.Llama;

/// <summary>A model's vocabulary: tokenize, turn tokens back into text, token attributes and special tokens.</summary>
public sealed unsafe class LlamaVocab
{
    private readonly LlamaModel _model;
    private readonly IntPtr _vocab;
    private readonly Lazy<Dictionary<string, LlamaToken>> _specialByText;

    internal LlamaVocab(LlamaModel model, IntPtr vocab)
    {
        _model = model;
        _vocab = vocab;
        Count = model.Handle.Vocab.Count;
        _specialByText = new Lazy<Dictionary<string, LlamaToken>>(IndexSpecialTokens);
    }

    /// <summary>Number of tokens.</summary>
    public int Count { get; }

    /// <summary>Beginning-of-sequence token, or <see cref="LlamaToken.Null"/>.</summary>
    public LlamaToken Bos => Token(Live.Vocab.BOS);

    /// <summary>End-of-sequence token, or <see cref="LlamaToken.Null"/>.</summary>
    public LlamaToken Eos => Token(Live.Vocab.EOS);

    /// <summary>End-of-turn token, or <see cref="LlamaToken.Null"/>.</summary>
    public LlamaToken Eot => Token(Live.Vocab.EOT);

    /// <summary>Whether tokenizing with add_special prepends BOS.</summary>
    public bool AddsBos => Kept(Live.Vocab.ShouldAddBOS);

    /// <summary>Tokenizes UTF-8 text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecial">Add BOS/EOS as the model's metadata asks.</param>
    /// <param name="parseSpecial">Turn the text of control tokens (such as <c>&lt;deceit&gt;</c>) into those tokens; off, they are spelled as plain text.</param>
    public LlamaToken[] Tokenize(string text, bool addSpecial = false, bool parseSpecial = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        ObjectDisposedException.ThrowIf(_model.Handle.IsClosed, _model);
        var tokens = _model.Handle.Tokenize(text, addSpecial, parseSpecial, Encoding.UTF8);
        GC.KeepAlive(_model);
        return MemoryMarshal.Cast<LLamaToken, LlamaToken>(tokens).ToArray();
    }

    /// <summary>The bytes a token stands for (a token may hold part of a UTF-8 character).</summary>
    /// <param name="token">The token.</param>
    /// <param name="special">Render control tokens as their text (true) or as nothing (false).</param>
    /// <exception cref="ArgumentOutOfRangeException">The token is not in this vocabulary.</exception>
    public byte[] TokenToBytes(LlamaToken token, bool special = true)
    {
        Validate(token);
        ObjectDisposedException.ThrowIf(_model.Handle.IsClosed, _model);
        var vocab = _model.Handle.Vocab;
        Span<byte> buffer = stackalloc byte[128];
        var n = NativeApi.llama_token_to_piece(vocab, token.Value, buffer, 0, special);
        if (n >= 0)
        {
            GC.KeepAlive(_model);
            return buffer[..n].ToArray();
        }

        var large = new byte[-n];
        n = NativeApi.llama_token_to_piece(vocab, token.Value, large, 0, special);
        GC.KeepAlive(_model);
        return large[..Math.Max(n, 0)];
    }

    /// <summary>A token's text (invalid UTF-8 of a partial character becomes U+FFFD; use <see cref="TokenToBytes"/> when streaming).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The token is not in this vocabulary.</exception>
    public string TokenToPiece(LlamaToken token, bool special = true) => Encoding.UTF8.GetString(TokenToBytes(token, special));

    /// <summary>Turns tokens back into text.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token is not in this vocabulary.</exception>
    public string Detokenize(ReadOnlySpan<LlamaToken> tokens, bool removeSpecial = false, bool unparseSpecial = true)
    {
        foreach (var t in tokens)
        {
            Validate(t);
        }

        var ids = MemoryMarshal.Cast<LlamaToken, int>(tokens);
        var capacity = Math.Max(16, tokens.Length * 8);
        while (true)
        {
            var buffer = new byte[capacity];
            int n;
            fixed (int* t = ids)
            fixed (byte* b = buffer)
            {
                n = NativeMethods.llama_detokenize(Vocab, t, ids.Length, b, capacity, removeSpecial, unparseSpecial);
            }

            GC.KeepAlive(_model);
            if (n < 0)
            {
                capacity = -n;
                continue;
            }

            return Encoding.UTF8.GetString(buffer, 0, n);
        }
    }

    /// <summary>The token's attributes (control, normal, byte, ...).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The token is not in this vocabulary.</exception>
    public LlamaTokenAttributes GetAttributes(LlamaToken token)
    {
        Validate(token);
        return (LlamaTokenAttributes)Kept(NativeMethods.llama_vocab_get_attr(Vocab, token.Value));
    }

    /// <summary>Whether the token ends generation (EOS, EOT and the like).</summary>
    public bool IsEndOfGeneration(LlamaToken token)
    {
        // Called once per generated token: a direct call, no closure.
        if (token.Value < 0 || token.Value >= Count)
        {
            return false;
        }

        ObjectDisposedException.ThrowIf(_model.Handle.IsClosed, _model);
        var result = NativeMethods.llama_vocab_is_eog(_vocab, token.Value);
        GC.KeepAlive(_model);
        return result;
    }

    /// <summary>Whether the token is a control token.</summary>
    public bool IsControl(LlamaToken token) =>
        token.Value >= 0 && token.Value < Count && Kept(NativeMethods.llama_vocab_is_control(Vocab, token.Value));

    /// <summary>The raw vocabulary text of a token (byte-level encoded for BPE vocabularies).</summary>
    public string GetText(LlamaToken token)
    {
        Validate(token);
        return Kept(Marshal.PtrToStringUTF8((IntPtr)NativeMethods.llama_vocab_get_text(Vocab, token.Value)) ?? string.Empty);
    }

    /// <summary>
    /// Finds the one token whose text is exactly <paramref name="text"/>: a control or user-defined token of that text
    /// (such as <c>&lt;deceit&gt;</c>), else a text that tokenizes to a single token. Null when no single token spells it.
    /// </summary>
    public LlamaToken? FindToken(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (_specialByText.Value.TryGetValue(text, out var special))
        {
            return special;
        }

        var tokens = Tokenize(text, addSpecial: false, parseSpecial: false);
        return tokens.Length == 1 && TokenToPiece(tokens[0], special: false) == text ? tokens[0] : null;
    }

    private Dictionary<string, LlamaToken> IndexSpecialTokens()
    {
        var index = new Dictionary<string, LlamaToken>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            var attributes = (LlamaTokenAttributes)NativeMethods.llama_vocab_get_attr(_vocab, i);
            if ((attributes & (LlamaTokenAttributes.Control | LlamaTokenAttributes.UserDefined)) == 0)
            {
                continue;
            }

            var text = Marshal.PtrToStringUTF8((IntPtr)NativeMethods.llama_vocab_get_text(_vocab, i));
            if (!string.IsNullOrEmpty(text))
            {
                index.TryAdd(text, new LlamaToken(i));
            }
        }

        GC.KeepAlive(_model);
        return index;
    }

    private void Validate(LlamaToken token)
    {
        if (token.Value < 0 || token.Value >= Count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(token), token.Value, $"Token id {token.Value} is out of range: this vocabulary has tokens 0 to {Count - 1}.");
        }
    }

    /// <summary>The vocab pointer, after checking that its model is not disposed; pass the result through <see cref="Kept"/>.</summary>
    private IntPtr Vocab
    {
        get
        {
            ObjectDisposedException.ThrowIf(_model.Handle.IsClosed, _model);
            return _vocab;
        }
    }

    /// <summary>Keeps the model alive until a native call through <see cref="Vocab"/> has returned.</summary>
    private T Kept<T>(T result)
    {
        GC.KeepAlive(_model);
        return result;
    }

    /// <summary>The model handle, after checking that it is not disposed.</summary>
    private SafeLlamaModelHandle Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(_model.Handle.IsClosed, _model);
            return _model.Handle;
        }
    }

    private LlamaToken Token(LLamaToken? token) => Kept(token is { } t ? new LlamaToken((int)t) : LlamaToken.Null);
}
