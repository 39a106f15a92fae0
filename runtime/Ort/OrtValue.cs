using System.Buffers;
using System.Runtime.InteropServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// An owned <c>OrtValue*</c> holding a tensor. Who owns the bytes depends on the factory:
/// <list type="bullet">
/// <item><see cref="FromMemory{T}"/> / <see cref="FromArray{T}"/> BORROW managed memory without copying: the buffer is
/// pinned for as long as this value lives and unpinned when it is released. ORT reads and writes the caller's array
/// directly (an output bound to it is written in place). The caller keeps the array; the value keeps it pinned.</item>
/// <item><see cref="Allocate{T}"/> and values returned by Run are ALLOCATED by ORT (default CPU allocator) and freed
/// when the value is released.</item>
/// </list>
/// <see cref="GetSpan{T}"/> views the bytes in place; the span is valid only while this value lives (not disposed).
/// A tensor's element type and shape never change, so they are read once and cached.
/// </summary>
public sealed unsafe class OrtValue : OrtHandle
{
    MemoryHandle _pin;                  // borrowed managed memory, pinned until release (default when ORT owns the bytes)
    readonly SafeHandle? _sharesWith;   // a value whose bytes this one shares (IO binding outputs); ref-counted
    OrtElementType _type;
    long[]? _shape;
    long _count;

    /// <summary>Takes ownership of an <c>OrtValue*</c> ORT allocated.</summary>
    internal OrtValue(nint handle) : base(handle) { }

    OrtValue(nint handle, MemoryHandle pin) : base(handle) => _pin = pin;

    /// <summary>Takes ownership of <paramref name="handle"/> and keeps <paramref name="sharesWith"/> (its buffer's owner) alive until released.</summary>
    internal OrtValue(nint handle, OrtValue sharesWith) : base(handle)
    {
        var added = false;
        sharesWith.DangerousAddRef(ref added);
        _sharesWith = sharesWith;
    }

    /// <summary>
    /// A tensor over <paramref name="data"/> WITHOUT copying: the memory is pinned until this value is released, and
    /// ORT reads (and, for a bound output, writes) it in place. <paramref name="data"/>'s length must equal the element
    /// count of <paramref name="shape"/>.
    /// </summary>
    public static OrtValue FromMemory<T>(Memory<T> data, params ReadOnlySpan<long> shape) where T : unmanaged
    {
        var type = OrtElementTypes.Of<T>();
        var count = ElementCount(shape);
        if (count != data.Length)
            throw new ArgumentException(
                $"shape [{string.Join(", ", shape.ToArray())}] holds {count} elements but the buffer has {data.Length}; " +
                "pass a buffer (or a Slice of one) of exactly that length", nameof(data));
        if (count == 0) return Allocate(type, shape);   // an empty Memory may have no address to pin
        var pin = data.Pin();
        try
        {
            nint value; // OrtValue*
            fixed (long* dims = shape)
                OrtStatus.Check(OrtApi.CreateTensorWithDataAsOrtValue(OrtMemory.CpuInfo, pin.Pointer,
                    (nuint)(count * sizeof(T)), dims, (nuint)shape.Length, (int)type, &value));
            return new OrtValue(value, pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>A tensor over the whole of <paramref name="data"/>, without copying (see <see cref="FromMemory{T}"/>).</summary>
    public static OrtValue FromArray<T>(T[] data, params ReadOnlySpan<long> shape) where T : unmanaged =>
        FromMemory(data.AsMemory(), shape);

    /// <summary>A tensor ORT allocates (default CPU allocator); its contents are uninitialized until written through <see cref="GetSpan{T}"/>.</summary>
    public static OrtValue Allocate<T>(params ReadOnlySpan<long> shape) where T : unmanaged =>
        Allocate(OrtElementTypes.Of<T>(), shape);

    /// <summary>A tensor of <paramref name="type"/> that ORT allocates.</summary>
    public static OrtValue Allocate(OrtElementType type, params ReadOnlySpan<long> shape)
    {
        ElementCount(shape);   // validates dims
        nint value; // OrtValue*
        fixed (long* dims = shape)
            OrtStatus.Check(OrtApi.CreateTensorAsOrtValue(OrtMemory.DefaultAllocator, dims, (nuint)shape.Length, (int)type, &value));
        return new OrtValue(value);
    }

    /// <summary>The tensor's element type.</summary>
    public OrtElementType ElementType
    {
        get
        {
            if (_shape is null) LoadTypeAndShape();
            return _type;
        }
    }

    /// <summary>The tensor's dimensions.</summary>
    public ReadOnlySpan<long> Shape
    {
        get
        {
            if (_shape is null) LoadTypeAndShape();
            return _shape;
        }
    }

    /// <summary>The number of elements (product of <see cref="Shape"/>).</summary>
    public long Count
    {
        get
        {
            if (_shape is null) LoadTypeAndShape();
            return _count;
        }
    }

    /// <summary>
    /// The tensor's bytes as <typeparamref name="T"/>, in place (no copy). Valid only while this value lives.
    /// Throws if <typeparamref name="T"/> does not match <see cref="ElementType"/>.
    /// </summary>
    public Span<T> GetSpan<T>() where T : unmanaged
    {
        var want = OrtElementTypes.Of<T>();
        if (want != ElementType)
            throw new InvalidOperationException(
                $"this tensor holds {ElementType} elements, not {want} ({typeof(T).Name}); call GetSpan with the matching type");
        if (_count == 0) return [];
        void* data;
        OrtStatus.Check(OrtApi.GetTensorMutableData(Live, &data));
        return new Span<T>(data, checked((int)_count));
    }

    /// <summary>A managed copy of the elements.</summary>
    public T[] ToArray<T>() where T : unmanaged => GetSpan<T>().ToArray();

    void LoadTypeAndShape()
    {
        nint info; // OrtTensorTypeAndShapeInfo*
        OrtStatus.Check(OrtApi.GetTensorTypeAndShape(Live, &info));
        try
        {
            var (type, dims, _) = OrtTensorInfo.Read(info, symbolic: false);
            _type = type;
            _count = ElementCount(dims);
            _shape = dims;
        }
        finally
        {
            OrtApi.ReleaseTensorTypeAndShapeInfo(info);
        }
    }

    static long ElementCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] has a negative dimension; a concrete tensor needs sizes ≥ 0");
            n = checked(n * d);
        }
        return n;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseValue(handle);
        _pin.Dispose();                     // unpin only after ORT has let go of the buffer
        _sharesWith?.DangerousRelease();
        return true;
    }
}
