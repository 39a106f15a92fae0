using System.IO.MemoryMappedFiles;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// A safetensors file opened read-only through a memory map. <see cref="Open"/> validates the whole header (see
/// <see cref="SafetensorsHeader"/>) before exposing anything, so no tensor can point outside the file.
/// Dispose semantics: the map is released on <see cref="Dispose"/>; afterwards every <see cref="SafetensorsTensor"/>
/// accessor throws <see cref="ObjectDisposedException"/>, and spans/addresses taken before must not be used. Do not
/// truncate or rewrite the file while it is open (the OS would fault the mapped pages). Reading tensors from several
/// threads is safe; disposing while another thread reads is not.
/// </summary>
public sealed unsafe class SafetensorsFile : IWeightView
{
    readonly MemoryMappedFile map;
    readonly MemoryMappedViewAccessor view;
    readonly byte* basePointer;
    readonly Dictionary<string, SafetensorsTensor> tensors;
    bool disposed;

    /// <summary>The file's path as given to <see cref="Open"/>.</summary>
    public string Path { get; }

    /// <summary>The validated header (entries in header order, metadata, data start).</summary>
    public SafetensorsHeader Header { get; }

    /// <summary>The <c>__metadata__</c> map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    public string SourcePath => Path;

    public IReadOnlyList<string> Names { get; }

    SafetensorsFile(string path, SafetensorsHeader header, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer)
    {
        Path = path;
        Header = header;
        this.map = map;
        this.view = view;
        this.basePointer = basePointer;
        tensors = header.Entries.ToDictionary(e => e.Name, e => new SafetensorsTensor(this, e), StringComparer.Ordinal);
        Names = [.. tensors.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="SafetensorsException"/> for a bad file.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw new SafetensorsException(path, null, "the file does not exist", "check the path (and that a download finished)");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            // 1) prefix and header, read with plain IO and fully validated
            var length = stream.Length;
            Span<byte> prefix = stackalloc byte[8];
            var got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
            var n = SafetensorsHeader.CheckPrefix(path, prefix[..got], length);
            var json = new byte[n];
            stream.ReadExactly(json);
            var header = SafetensorsHeader.Parse(path, json, length - 8 - n);

            // 2) map the file; the stream is handed over to the map and closed with it
            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor? view = null;
            try
            {
                view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* p = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                return new SafetensorsFile(path, header, map, view, p + view.PointerOffset);
            }
            catch
            {
                view?.Dispose();
                map.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Start of the data section in memory; throws once disposed.</summary>
    internal byte* DataPointer()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return basePointer + Header.DataStart;
    }

    public bool Contains(string name) => tensors.ContainsKey(name);

    public bool TryGet(string name, out SafetensorsTensor tensor)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return tensors.TryGetValue(name, out tensor!);
    }

    public SafetensorsTensor this[string name] => TryGet(name, out var t)
        ? t
        : throw new SafetensorsException(Path, name, $"no such tensor in this file (it holds {tensors.Count})",
            "check the tensor name against the checkpoint's architecture (list the file's names with Names)");

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }

    public override string ToString() => $"{Path} ({tensors.Count} tensors)";
}
