using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// One layer's K or V storage for a batch: a pinned managed array holding (B, G, capacity, D) elements of the model's
/// KV type, viewed by ORT values of shape (B, G, length, D) over its first B·G·length·D elements without copying.
/// </summary>
internal abstract class KvBuffer
{
    /// <summary>Positions per (row, head) the buffer holds.</summary>
    public int Capacity { get; protected init; }

    /// <summary>A value of shape (B, G, <paramref name="length"/>, D) over the start of the buffer (no copy; the caller disposes it).</summary>
    public abstract OrtValue View(int batch, int heads, int length, int headDim);

    /// <summary>A zeroed buffer of (B·G) × <paramref name="capacity"/> × D elements of <paramref name="type"/>.</summary>
    public static KvBuffer Allocate(OrtElementType type, int rows, int capacity, int headDim) => type switch
    {
        OrtElementType.Float => new KvBuffer<float>(rows, capacity, headDim),
        OrtElementType.Float16 => new KvBuffer<Half>(rows, capacity, headDim),
        _ => throw new NotSupportedException($"KV cache element type {type}"),
    };

    /// <summary>
    /// A larger buffer holding this one's first <paramref name="used"/> positions of every (row, head), laid out for
    /// the new capacity (the strides change, so this copies; done on doubling, never per step).
    /// </summary>
    public abstract KvBuffer Grow(int rows, int newCapacity, int headDim, int used);
}

internal sealed class KvBuffer<T> : KvBuffer where T : unmanaged
{
    readonly T[] _data;   // (rows = B·G, Capacity, D)

    public KvBuffer(int rows, int capacity, int headDim)
    {
        Capacity = capacity;
        _data = GC.AllocateArray<T>(checked(rows * capacity * headDim), pinned: true);
    }

    public override OrtValue View(int batch, int heads, int length, int headDim) =>
        OrtValue.FromMemory(_data.AsMemory(0, batch * heads * length * headDim), batch, heads, length, headDim);

    public override KvBuffer Grow(int rows, int newCapacity, int headDim, int used)
    {
        var bigger = new KvBuffer<T>(rows, newCapacity, headDim);
        for (var r = 0; r < rows; r++)
            _data.AsSpan(r * Capacity * headDim, used * headDim).CopyTo(bigger._data.AsSpan(r * newCapacity * headDim));
        return bigger;
    }
}
