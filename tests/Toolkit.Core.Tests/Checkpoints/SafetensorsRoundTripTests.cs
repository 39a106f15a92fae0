using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

public class SafetensorsRoundTripTests
{
    /// <summary>One tensor of every dtype, with awkward shapes (scalar, empty, odd lengths), deterministic random bytes.</summary>
    internal static List<TensorBytes> EveryDType(int seed = 1)
    {
        var rng = new Random(seed);
        TensorBytes Make(string name, SafetensorsDType dtype, long[] shape)
        {
            var bytes = new byte[shape.Aggregate(1L, (a, d) => a * d) * dtype.ItemSize()];
            rng.NextBytes(bytes);
            if (dtype == SafetensorsDType.BOOL) for (var i = 0; i < bytes.Length; i++) bytes[i] &= 1;
            return new TensorBytes(name, dtype, shape, bytes);
        }
        return
        [
            Make("model.layers.0.self_attn.q_proj.weight", SafetensorsDType.BF16, [6, 5]),
            Make("model.embed_tokens.weight", SafetensorsDType.F32, [7, 3]),
            Make("half", SafetensorsDType.F16, [3, 1, 3]),
            Make("double", SafetensorsDType.F64, [5]),
            Make("ids64", SafetensorsDType.I64, [2, 3]),
            Make("ids32", SafetensorsDType.I32, [9]),
            Make("int8", SafetensorsDType.I8, [13]),
            Make("uint8", SafetensorsDType.U8, [1, 11]),
            Make("mask", SafetensorsDType.BOOL, [3, 3]),
            Make("scalar", SafetensorsDType.F32, []),
            Make("empty", SafetensorsDType.BF16, [0, 4]),
        ];
    }

    [Fact]
    public void Every_dtype_round_trips_bit_exact_with_metadata()
    {
        using var dir = new TempFolder();
        var path = dir.File("all.safetensors");
        var tensors = EveryDType();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode + \"quotes\"" };
        SafetensorsWriter.Write(path, tensors, metadata);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(tensors.Select(t => t.Name).Order(StringComparer.Ordinal), file.Names);
        foreach (var t in tensors)
        {
            var r = file[t.Name];
            Assert.Equal(t.DType, r.DType);
            Assert.Equal(t.Shape, r.Shape);
            Assert.Equal(t.Bytes.ToArray(), r.ToArray());
            Assert.Equal(t.Shape.Aggregate(1L, (a, d) => a * d), r.ElementCount);
        }
    }

    [Fact]
    public void Header_is_space_padded_and_tensors_ordered_by_size_then_name_like_the_reference_writer()
    {
        using var dir = new TempFolder();
        var path = dir.File("a.safetensors");
        SafetensorsWriter.Write(path, EveryDType(), new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"pt\"},", header);
        var trimmed = header.TrimEnd(' ');
        Assert.EndsWith("}", trimmed);
        Assert.True(header.Length - trimmed.Length < 8);

        // header order = data order = (element size descending, name); so every tensor is aligned to its element size
        using var file = SafetensorsFile.Open(path);
        var entries = file.Header.Entries;
        Assert.Equal(entries.Select(e => e.Begin).Order(), entries.Select(e => e.Begin));
        var expected = entries.OrderByDescending(e => e.DType.ItemSize()).ThenBy(e => e.Name, StringComparer.Ordinal).Select(e => e.Name);
        Assert.Equal(expected, entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal(0, (file.Header.DataStart + e.Begin) % e.DType.ItemSize()));
        Assert.Equal(["double", "ids64"], entries.Take(2).Select(e => e.Name));
    }

    [Fact]
    public void Write_replaces_an_existing_file_atomically_and_leaves_no_temporary_files()
    {
        using var dir = new TempFolder();
        var path = dir.File("w.safetensors");
        SafetensorsWriter.Write(path, [TensorBytes.FromFloats("a", [2], [1f, 2f])]);
        SafetensorsWriter.Write(path, [TensorBytes.FromFloats("b", [3], [3f, 4f, 5f])]);
        Assert.Equal(["w.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["b"], file.Names);
        Assert.Equal([3f, 4f, 5f], file["b"].ToFloat32());

        // a failing write keeps the old file and removes its temporary file
        var bad = new TensorBytes("c", SafetensorsDType.F32, [4], new byte[8]);
        var e = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [bad]));
        Assert.Contains("'c'", e.Message);
        Assert.Equal(["w.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Writer_refuses_duplicate_names_and_wrong_byte_counts()
    {
        using var dir = new TempFolder();
        var twice = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(dir.File("d.safetensors"),
            [TensorBytes.FromFloats("x", [1], [1f]), TensorBytes.FromFloats("x", [1], [2f])]));
        Assert.Contains("'x' is given twice", twice.Message);
        var reserved = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(dir.File("d.safetensors"), [TensorBytes.FromFloats("__metadata__", [1], [1f])]));
        Assert.Contains("reserved", reserved.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Tensor_access_after_dispose_throws_instead_of_reading_unmapped_memory()
    {
        using var dir = new TempFolder();
        var path = dir.File("d.safetensors");
        SafetensorsWriter.Write(path, [TensorBytes.FromFloats("w", [2, 2], [1f, 2f, 3f, 4f])]);
        var file = SafetensorsFile.Open(path);
        var w = file["w"];
        Assert.Equal([1f, 2f, 3f, 4f], w.ToFloat32());
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => w.ToArray());
        Assert.Throws<ObjectDisposedException>(() => w.Address);
        Assert.Throws<ObjectDisposedException>(() => file.TryGet("w", out _));
        file.Dispose(); // idempotent
    }

    [Fact]
    public unsafe void Address_slice_and_native_copy_see_the_same_bytes()
    {
        using var dir = new TempFolder();
        var path = dir.File("p.safetensors");
        var values = Enumerable.Range(0, 100).Select(i => i * 0.5f).ToArray();
        SafetensorsWriter.Write(path, [TensorBytes.FromFloats("v", [10, 10], values), TensorBytes.FromFloats("a", [1], [7f])]);
        using var file = SafetensorsFile.Open(path);
        var v = file["v"];
        Assert.Equal(0, v.Address % 4); // 8-byte aligned data section, 4-byte tensors
        Assert.Equal(values[10..20], MemoryMarshal.Cast<byte, float>(v.Slice(40, 40)).ToArray());
        var native = NativeMemory.Alloc(400);
        try
        {
            v.CopyTo((nint)native, 400);
            Assert.Equal(values, new ReadOnlySpan<float>(native, 100).ToArray());
        }
        finally { NativeMemory.Free(native); }
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Slice(396, 8).ToArray());
        var missing = Assert.Throws<SafetensorsException>(() => file["nope"]);
        Assert.Contains("'nope'", missing.Message);
        Assert.Contains(path, missing.Message);
    }

    [Fact]
    public void A_tensor_of_an_open_file_can_be_written_into_another_file()
    {
        using var dir = new TempFolder();
        SafetensorsWriter.Write(dir.File("src.safetensors"), EveryDType(seed: 7));
        using (var src = SafetensorsFile.Open(dir.File("src.safetensors")))
            SafetensorsWriter.Write(dir.File("dst.safetensors"), src.Names.Select(n => (ITensorData)src[n]).ToList(), src.Metadata);
        Assert.Equal(File.ReadAllBytes(dir.File("src.safetensors")), File.ReadAllBytes(dir.File("dst.safetensors")));
    }

    [Fact]
    public void ToFloat32_widens_bf16_and_f16_exactly()
    {
        using var dir = new TempFolder();
        float[] values = [1f, -2.5f, 0.15625f, 65504f, -0f];
        var bf = new ushort[values.Length];
        var h = new Half[values.Length];
        FloatConversions.Float32ToBFloat16(values, bf);
        FloatConversions.Float32ToFloat16(values, h);
        SafetensorsWriter.Write(dir.File("f.safetensors"),
        [
            new TensorBytes("bf", SafetensorsDType.BF16, [5], MemoryMarshal.AsBytes<ushort>(bf).ToArray()),
            new TensorBytes("h", SafetensorsDType.F16, [5], MemoryMarshal.AsBytes<Half>(h).ToArray()),
        ]);
        using var file = SafetensorsFile.Open(dir.File("f.safetensors"));
        Assert.Equal([1f, -2.5f, 0.15625f, 65536f, -0f], file["bf"].ToFloat32()); // 65504 is not a bf16 value: nearest is 65536
        Assert.Equal(values, file["h"].ToFloat32());
        var ints = dir.File("i.safetensors");
        SafetensorsWriter.Write(ints, [new TensorBytes("ids", SafetensorsDType.I64, [1], new byte[8])]);
        using var intFile = SafetensorsFile.Open(ints);
        Assert.Contains("not a floating-point dtype", Assert.Throws<InvalidOperationException>(() => intFile["ids"].ToFloat32()).Message);
    }
}
