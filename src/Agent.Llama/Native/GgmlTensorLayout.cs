namespace Agent.Llama.Native;

/// <summary>
/// Field offsets of <c>struct ggml_tensor</c> (336 bytes, llama.cpp c0c7e147), read directly because ggml has no getter
/// for most of them. GgmlAbiTests pins every number against build/abi/abi-offsets.c.
/// </summary>
internal static unsafe class GgmlTensorLayout
{
    public const int Size = 336;
    public const int MaxDims = 4;
    public const int MaxSrc = 10;
    public const int MaxName = 64;
    public const int Type = 0;
    public const int Buffer = 8;
    public const int Ne = 16;
    public const int Nb = 48;
    public const int Op = 80;
    public const int Flags = 148;
    public const int Src = 152;
    public const int ViewSrc = 232;
    public const int ViewOffs = 240;
    public const int Data = 248;
    public const int Name = 256;

    public const int FlagParam = 4;
    public const int FlagLoss = 8;

    public static int ReadType(IntPtr tensor) => *(int*)((byte*)tensor + Type);

    public static IntPtr ReadBuffer(IntPtr tensor) => *(IntPtr*)((byte*)tensor + Buffer);

    public static long ReadNe(IntPtr tensor, int dim) => ((long*)((byte*)tensor + Ne))[dim];

    public static ulong ReadNb(IntPtr tensor, int dim) => ((ulong*)((byte*)tensor + Nb))[dim];

    public static int ReadOp(IntPtr tensor) => *(int*)((byte*)tensor + Op);

    public static int ReadFlags(IntPtr tensor) => *(int*)((byte*)tensor + Flags);

    public static IntPtr ReadSrc(IntPtr tensor, int index) => ((IntPtr*)((byte*)tensor + Src))[index];

    public static IntPtr ReadViewSrc(IntPtr tensor) => *(IntPtr*)((byte*)tensor + ViewSrc);

    public static ulong ReadViewOffs(IntPtr tensor) => *(ulong*)((byte*)tensor + ViewOffs);

    public static IntPtr ReadData(IntPtr tensor) => *(IntPtr*)((byte*)tensor + Data);
}
