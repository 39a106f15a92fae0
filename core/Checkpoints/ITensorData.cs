namespace Toolkit.Core.Checkpoints;

/// <summary>
/// A tensor to write into a safetensors file: name, dtype, shape and a way to stream its little-endian bytes.
/// Implemented by <see cref="TensorBytes"/> (bytes in memory) and <see cref="SafetensorsTensor"/> (a tensor of an open
/// file, so re-sharding copies straight from the mapping); a libtorch tensor can implement it over its data pointer.
/// </summary>
public interface ITensorData
{
    string Name { get; }
    SafetensorsDType DType { get; }
    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    IReadOnlyList<long> Shape { get; }
    /// <summary>Exactly product(Shape) * item size.</summary>
    long ByteLength { get; }
    /// <summary>Writes exactly <see cref="ByteLength"/> bytes to <paramref name="destination"/>.</summary>
    void WriteTo(Stream destination);
}

/// <summary>A tensor whose bytes are in managed memory (little-endian, row-major).</summary>
public sealed record TensorBytes(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, ReadOnlyMemory<byte> Bytes) : ITensorData
{
    public long ByteLength => Bytes.Length;

    public void WriteTo(Stream destination) => destination.Write(Bytes.Span);

    /// <summary>An F32 tensor from values.</summary>
    public static TensorBytes FromFloats(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values) =>
        new(name, SafetensorsDType.F32, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray());
}
