using System.Buffers.Binary;
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
/// probability is no signal. Rows of F32, F16, BF16 and Q8_0 tensors are decoded; other types give <see cref="TokenRowState.Unknown"/>.
/// </remarks>
public static class GgufTokenRows
{
    private const int TypeF32 = 0, TypeF16 = 1, TypeQ8_0 = 8, TypeBF16 = 30;
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
        private readonly int _rowBytes;

        private RowReader(FileStream file, long offset, int type, int width, long rows)
        {
            _file = file;
            _offset = offset;
            _type = type;
            _width = width;
            Rows = rows;
            _rowBytes = type switch
            {
                TypeF32 => width * 4,
                TypeF16 or TypeBF16 => width * 2,
                TypeQ8_0 => width / 32 * 34,
                _ => 0,
            };
        }

        public long Rows { get; }

        public bool CanDecode => _rowBytes > 0 && (_type != TypeQ8_0 || _width % 32 == 0);

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

        public float[] Read(long row)
        {
            var bytes = new byte[_rowBytes];
            _file.Position = _offset + (row * _rowBytes);
            _file.ReadExactly(bytes);
            var values = new float[_width];
            switch (_type)
            {
                case TypeF32:
                    MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
                    break;
                case TypeF16:
                    for (var i = 0; i < _width; i++)
                    {
                        values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
                    }

                    break;
                case TypeBF16:
                    for (var i = 0; i < _width; i++)
                    {
                        values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)) << 16);
                    }

                    break;
                default: // Q8_0: blocks of an f16 scale and 32 signed bytes
                    for (var b = 0; b < _width / 32; b++)
                    {
                        var scale = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(b * 34));
                        for (var j = 0; j < 32; j++)
                        {
                            values[(b * 32) + j] = scale * (sbyte)bytes[(b * 34) + 2 + j];
                        }
                    }

                    break;
            }

            return values;
        }
    }
}
