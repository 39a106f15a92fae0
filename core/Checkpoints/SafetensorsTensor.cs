using System.Runtime.InteropServices;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// One tensor of an open <see cref="SafetensorsFile"/>: dtype, shape and its bytes, borrowed from the file's memory map
/// (nothing is copied until you ask). Lifetime: every accessor checks that the file is still open and throws
/// <see cref="ObjectDisposedException"/> after it is disposed; a span or address taken earlier must not be used after
/// the file is disposed (it points into an unmapped region). Use <see cref="ToArray"/> or <see cref="CopyTo(Span{byte})"/>
/// to keep the data beyond the file's life.
/// </summary>
public sealed unsafe class SafetensorsTensor : ITensorData
{
    readonly SafetensorsFile file;
    readonly SafetensorsEntry entry;

    internal SafetensorsTensor(SafetensorsFile file, SafetensorsEntry entry)
    {
        this.file = file;
        this.entry = entry;
    }

    public string Name => entry.Name;
    public SafetensorsDType DType => entry.DType;
    public IReadOnlyList<long> Shape => entry.Shape;
    public long ElementCount => entry.ElementCount;
    public long ByteLength => entry.ByteLength;

    /// <summary>The file the tensor lives in.</summary>
    public string FilePath => file.Path;

    /// <summary>Address of the first byte, valid while the file is open (for handing to native code without a copy).</summary>
    public nint Address => (nint)(file.DataPointer() + entry.Begin);

    /// <summary>
    /// All bytes as a span, valid while the file is open. Tensors over 2 GiB cannot be one span: use
    /// <see cref="Slice"/>, <see cref="CopyTo(nint, long)"/> or <see cref="Address"/> for those.
    /// </summary>
    public ReadOnlySpan<byte> Span
    {
        get
        {
            if (ByteLength > int.MaxValue)
                throw new InvalidOperationException(
                    $"tensor '{Name}' in '{FilePath}' has {ByteLength} bytes, more than one span can hold; use Slice, CopyTo(nint, long) or Address");
            return new ReadOnlySpan<byte>(file.DataPointer() + entry.Begin, (int)ByteLength);
        }
    }

    /// <summary>Bytes [offset, offset + length) of the tensor, bounds-checked against the tensor (hence the file).</summary>
    public ReadOnlySpan<byte> Slice(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > ByteLength - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset + length}) is outside tensor '{Name}' ({ByteLength} bytes)");
        return new ReadOnlySpan<byte>(file.DataPointer() + entry.Begin + offset, length);
    }

    /// <summary>The bytes reinterpreted as <typeparamref name="T"/> (caller picks the type matching <see cref="DType"/>).</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged => MemoryMarshal.Cast<byte, T>(Span);

    /// <summary>Copies all bytes to <paramref name="destination"/> (at least <see cref="ByteLength"/> long).</summary>
    public void CopyTo(Span<byte> destination) => Span.CopyTo(destination);

    /// <summary>Copies all bytes to native memory at <paramref name="destination"/> (any size, for large tensors).</summary>
    public void CopyTo(nint destination, long destinationBytes)
    {
        if (destinationBytes < ByteLength)
            throw new ArgumentException($"destination holds {destinationBytes} bytes, tensor '{Name}' needs {ByteLength}", nameof(destinationBytes));
        Buffer.MemoryCopy(file.DataPointer() + entry.Begin, (void*)destination, destinationBytes, ByteLength);
    }

    /// <summary>A managed copy of the bytes, independent of the file's lifetime.</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>The values as float32: F32 copied, BF16 and F16 widened exactly, F64 rounded. Other dtypes are refused.</summary>
    public float[] ToFloat32()
    {
        var result = new float[ElementCount];
        switch (DType)
        {
            case SafetensorsDType.F32: AsSpan<float>().CopyTo(result); break;
            case SafetensorsDType.BF16: FloatConversions.BFloat16ToFloat32(AsSpan<ushort>(), result); break;
            case SafetensorsDType.F16: FloatConversions.Float16ToFloat32(AsSpan<Half>(), result); break;
            case SafetensorsDType.F64:
                var d = AsSpan<double>();
                for (var i = 0; i < d.Length; i++) result[i] = (float)d[i];
                break;
            default:
                throw new InvalidOperationException($"tensor '{Name}' in '{FilePath}' is {DType}, not a floating-point dtype");
        }
        return result;
    }

    /// <summary>Streams the bytes in chunks (never more than 64 MiB per write), so tensors of any size can be written.</summary>
    public void WriteTo(Stream destination)
    {
        const int chunk = 64 << 20;
        for (long at = 0; at < ByteLength; at += chunk)
            destination.Write(Slice(at, (int)Math.Min(chunk, ByteLength - at)));
    }

    public override string ToString() => $"{Name}: {DType}[{string.Join(", ", Shape)}] in {FilePath}";
}
