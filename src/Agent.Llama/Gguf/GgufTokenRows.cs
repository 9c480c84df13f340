using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Gguf;

/// <summary>
/// Reads single rows of a GGUF model's <c>token_embd.weight</c> and <c>output.weight</c> straight from the file (the
/// metadata is parsed, the weights are not loaded), to tell a trained token from one that was added but never trained.
/// </summary>
/// <remarks>
/// A token added to a vocabulary without training (a reserved special token of Llama 3, a tag appended by a tool and not
/// tuned yet) keeps a zero or constant row, or one far smaller than the rest; the model then never predicts it, so its
/// probability is no signal. Rows are decoded with ggml's own converters (<see cref="GgufTensorCodec"/>), so every float and
/// quantised type llama.cpp reads (F32, F16, BF16, Q8_0, the k-quants, the i-quants, ...) is checked; only a type ggml has no
/// conversion to F32 for (the integer types, F64) gives <see cref="TokenRowState.Unknown"/>.
/// </remarks>
public static class GgufTokenRows
{
    private const int SampleRows = 256;
    private static readonly string[] s_tensors = ["token_embd.weight", "output.weight"];

    /// <summary>The state of each of <paramref name="tokens"/> in the model file at <paramref name="path"/>.</summary>
    /// <exception cref="GgufException">The file cannot be read as GGUF.</exception>
    public static unsafe IReadOnlyDictionary<int, TokenRowState> Inspect(string path, IReadOnlyCollection<int> tokens)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tokens);
        var full = Path.GetFullPath(path);
        LlamaRuntime.EnsureInitialized();
        var p = new GgufInitParams { no_alloc = 1, ctx = IntPtr.Zero };
        NativeLog.BeginCapture();
        using var gguf = new SafeGgufContextHandle(NativeMethods.gguf_init_from_file(full, p));
        if (gguf.IsInvalid)
        {
            throw new GgufException($"'{full}' is not a readable GGUF file: {NativeLog.CapturedProblems()}.");
        }

        using var file = File.OpenRead(full);
        var tensors = s_tensors
            .Select(name => RowReader.Open(gguf.DangerousGetHandle(), file, name))
            .Where(r => r is not null)
            .ToList();
        var result = new Dictionary<int, TokenRowState>();
        if (tensors.Count == 0 || tensors.Any(t => !t!.CanDecode))
        {
            foreach (var token in tokens)
            {
                result[token] = TokenRowState.Unknown;
            }

            return result;
        }

        var typical = tensors.Select(t => t!.TypicalNorm()).ToList();
        foreach (var token in tokens)
        {
            var state = TokenRowState.Trained;
            for (var i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i]!;
                if ((uint)token >= (uint)t.Rows)
                {
                    state = TokenRowState.Unknown;
                    break;
                }

                if (IsDegenerate(t.Read(token), typical[i]))
                {
                    state = TokenRowState.Untrained;
                }
            }

            result[token] = state;
        }

        return result;
    }

    /// <summary>A row that is zero or constant, or whose norm is under 1% of a typical row's.</summary>
    internal static bool IsDegenerate(float[] row, double typicalNorm)
    {
        double sum = 0, sumSq = 0;
        foreach (var v in row)
        {
            sum += v;
            sumSq += (double)v * v;
        }

        var norm = Math.Sqrt(sumSq);
        var mean = sum / row.Length;
        var spread = Math.Sqrt(Math.Max(0, (sumSq / row.Length) - (mean * mean)));
        return norm < 0.01 * typicalNorm || spread < 1e-4 * typicalNorm / Math.Sqrt(row.Length);
    }

    private sealed class RowReader
    {
        private readonly FileStream _file;
        private readonly long _offset;
        private readonly int _type;
        private readonly int _width;
        private readonly long _rowBytes;

        private RowReader(FileStream file, long offset, int type, int width, long rows)
        {
            _file = file;
            _offset = offset;
            _type = type;
            _width = width;
            Rows = rows;
            _rowBytes = GgufTensorCodec.CanDecode(type) ? GgufTensorCodec.RowBytes(type, width) : 0;
        }

        public long Rows { get; }

        public bool CanDecode => _rowBytes > 0;

        public static unsafe RowReader? Open(IntPtr gguf, FileStream file, string name)
        {
            var count = NativeMethods.gguf_get_n_tensors(gguf);
            for (long i = 0; i < count; i++)
            {
                if (Marshal.PtrToStringUTF8(NativeMethods.gguf_get_tensor_name(gguf, i)) != name)
                {
                    continue;
                }

                var ne = NativeMethods.gguf_get_tensor_ne(gguf, i);
                var offset = (long)NativeMethods.gguf_get_data_offset(gguf) + (long)NativeMethods.gguf_get_tensor_offset(gguf, i);
                return new RowReader(file, offset, NativeMethods.gguf_get_tensor_type(gguf, i), checked((int)ne[0]), ne[1]);
            }

            return null;
        }

        public double TypicalNorm()
        {
            var norms = new List<double>();
            var step = Math.Max(1, Rows / SampleRows);
            for (long r = 0; r < Rows; r += step)
            {
                norms.Add(Math.Sqrt(Read(r).Sum(v => (double)v * v)));
            }

            norms.Sort();
            return norms[norms.Count / 2];
        }

        /// <summary>Row <paramref name="row"/>: only its bytes are read, and ggml's own converter decodes them.</summary>
        public float[] Read(long row)
        {
            var bytes = new byte[_rowBytes];
            _file.Position = _offset + (row * _rowBytes);
            _file.ReadExactly(bytes);
            return GgufTensorCodec.ToFloat(_type, bytes, _width);
        }
    }
}
