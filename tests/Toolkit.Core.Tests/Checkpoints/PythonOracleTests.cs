using System.Runtime.InteropServices;
using System.Text.Json;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>
/// Independent checks with Debian's python3-torch 1.13 (the python safetensors package is not installed, so the
/// scripts parse the format with struct + json, as its spec describes, and decode bytes with torch.frombuffer).
/// </summary>
public class PythonOracleTests
{
    const string ReadScript = """
        import json, struct, sys, torch
        DT = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
              "I32": torch.int32, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
        SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1, "BOOL": 1}
        raw = open(sys.argv[1], "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n].decode("utf-8"))
        data = raw[8 + n:]
        meta = header.pop("__metadata__", {})
        out = {"n": n, "aligned": (8 + n) % 8 == 0, "metadata": meta, "header_keys": list(header.keys()), "tensors": {}}
        for name, e in header.items():
            b, end = e["data_offsets"]
            chunk = bytearray(data[b:end])
            numel = 1
            for d in e["shape"]: numel *= d
            assert end - b == numel * SIZE[e["dtype"]], name
            t = torch.frombuffer(chunk, dtype=DT[e["dtype"]]) if numel else torch.empty(0, dtype=DT[e["dtype"]])
            t = t.reshape(e["shape"])
            vals = t.float() if t.dtype in (torch.bfloat16, torch.float16) else t
            out["tensors"][name] = {"dtype": e["dtype"], "shape": e["shape"], "offsets": [b, end], "hex": bytes(chunk).hex(),
                                    "values": vals.flatten().tolist()}
        print(json.dumps(out))
        """;

    [Fact]
    public void Python_reads_our_file_and_agrees_on_names_shapes_offsets_bytes_and_values()
    {
        using var dir = new TempFolder();
        var path = dir.File("ours.safetensors");
        // finite values only (python's json writes NaN as a bare token): random bits with the exponent kept in range
        var tensors = SafetensorsRoundTripTests.EveryDType().Select(Finite).ToList();
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        using var doc = JsonDocument.Parse(Python.Run(dir, ReadScript, path));
        var root = doc.RootElement;
        Assert.True(root.GetProperty("aligned").GetBoolean());
        Assert.Equal("pt", root.GetProperty("metadata").GetProperty("format").GetString());
        Assert.Equal(tensors.OrderByDescending(t => t.DType.ItemSize()).ThenBy(t => t.Name, StringComparer.Ordinal).Select(t => t.Name),
            root.GetProperty("header_keys").EnumerateArray().Select(e => e.GetString()));
        using var ours = SafetensorsFile.Open(path);
        foreach (var t in tensors)
        {
            var p = root.GetProperty("tensors").GetProperty(t.Name);
            Assert.Equal(t.DType.HeaderName(), p.GetProperty("dtype").GetString());
            Assert.Equal(t.Shape, p.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            var entry = ours.Header.Entries.Single(e => e.Name == t.Name);
            Assert.Equal([entry.Begin, entry.End], p.GetProperty("offsets").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(Convert.ToHexStringLower(t.Bytes.Span), p.GetProperty("hex").GetString());
            Assert.Equal(Decode(t), p.GetProperty("values").EnumerateArray().Select(e => e.ValueKind switch
            {
                JsonValueKind.True => 1.0,
                JsonValueKind.False => 0.0,
                _ => e.GetDouble(),
            }));
        }
    }

    /// <summary>Our own decoding of each dtype, as doubles (bf16 / f16 through our widening helpers).</summary>
    static double[] Decode(TensorBytes t)
    {
        var b = t.Bytes.Span;
        return t.DType switch
        {
            SafetensorsDType.F64 => [.. MemoryMarshal.Cast<byte, double>(b).ToArray()],
            SafetensorsDType.F32 => [.. MemoryMarshal.Cast<byte, float>(b).ToArray().Select(x => (double)x)],
            SafetensorsDType.BF16 => [.. MemoryMarshal.Cast<byte, ushort>(b).ToArray().Select(x => (double)FloatConversions.FromBFloat16(x))],
            SafetensorsDType.F16 => [.. MemoryMarshal.Cast<byte, Half>(b).ToArray().Select(x => (double)x)],
            SafetensorsDType.I64 => [.. MemoryMarshal.Cast<byte, long>(b).ToArray().Select(x => (double)x)],
            SafetensorsDType.I32 => [.. MemoryMarshal.Cast<byte, int>(b).ToArray().Select(x => (double)x)],
            SafetensorsDType.I8 => [.. MemoryMarshal.Cast<byte, sbyte>(b).ToArray().Select(x => (double)x)],
            SafetensorsDType.U8 or SafetensorsDType.BOOL => [.. b.ToArray().Select(x => (double)x)],
            _ => throw new ArgumentOutOfRangeException(nameof(t)),
        };
    }

    /// <summary>Clears the top exponent bit of float elements so no random pattern is inf/NaN; int64 kept within double's exact range.</summary>
    static TensorBytes Finite(TensorBytes t)
    {
        var b = t.Bytes.ToArray();
        var (size, bit) = t.DType switch
        {
            SafetensorsDType.F64 => (8, 6), SafetensorsDType.F32 => (4, 6), SafetensorsDType.BF16 => (2, 6), SafetensorsDType.F16 => (2, 6),
            SafetensorsDType.I64 => (8, -1), _ => (0, 0),
        };
        for (var i = 0; size > 0 && i < b.Length; i += size)
            b[i + size - 1] &= bit < 0 ? (byte)0x00 : (byte)~(1 << bit); // float: exponent's top bit; int64: |x| < 2^56
        return t with { Bytes = b };
    }

    const string WriteScript = """
        import json, struct, sys, torch
        torch.manual_seed(0)
        # the reference implementation's layout: data ordered by dtype alignment (largest first), then name; header keys
        # in a different order again, metadata last; header padded with spaces to a multiple of 8
        ts = {"z.w": torch.randn(3, 4).to(torch.bfloat16), "a.w": torch.randn(5).to(torch.float16), "m.w": torch.randn(2, 2),
              "ids": torch.arange(-3, 4, dtype=torch.int64), "mask": torch.tensor([True, False, True]), "q": torch.arange(7, dtype=torch.uint8),
              "d": torch.randn(2, dtype=torch.float64), "i": torch.arange(5, dtype=torch.int32) * -7, "s": torch.tensor(2.5)}
        NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
                 torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
        order = sorted(ts, key=lambda k: (-ts[k].element_size(), k))
        header, blobs, off = {}, [], 0
        for k in order:
            b = ts[k].contiguous().view(-1).view(torch.uint8).numpy().tobytes() if ts[k].dim() else ts[k].reshape(1).view(torch.uint8).numpy().tobytes()
            header[k] = {"dtype": NAMES[ts[k].dtype], "shape": list(ts[k].shape), "data_offsets": [off, off + len(b)]}
            blobs.append(b); off += len(b)
        header = dict(reversed(list(header.items())))
        header["__metadata__"] = {"format": "pt", "source": "python"}
        h = json.dumps(header).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        with open(sys.argv[1], "wb") as f:
            f.write(struct.pack("<Q", len(h))); f.write(h); f.write(b"".join(blobs))
        print(json.dumps({k: {"hex": (ts[k].reshape(-1).view(torch.uint8).numpy().tobytes()).hex(),
                              "f32": ts[k].float().reshape(-1).numpy().tobytes().hex() if ts[k].is_floating_point() else None} for k in ts}))
        """;

    [Fact]
    public void We_read_a_file_python_laid_out_in_the_reference_order()
    {
        using var dir = new TempFolder();
        var path = dir.File("theirs.safetensors");
        using var doc = JsonDocument.Parse(Python.Run(dir, WriteScript, path));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("python", file.Metadata["source"]);
        Assert.Equal(["a.w", "d", "i", "ids", "m.w", "mask", "q", "s", "z.w"], file.Names);
        Assert.Equal([], file["s"].Shape);
        Assert.Equal([3L, 4L], file["z.w"].Shape);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var t = file[p.Name];
            Assert.Equal(p.Value.GetProperty("hex").GetString(), Convert.ToHexStringLower(t.Span));
            if (p.Value.GetProperty("f32").GetString() is { } f32 && t.DType != SafetensorsDType.F64)
                Assert.Equal(f32, Convert.ToHexStringLower(MemoryMarshal.AsBytes<float>(t.ToFloat32())));  // torch's widening = ours, bit for bit
        }
    }

    const string RoundScript = """
        import sys, numpy as np, torch
        x = torch.from_numpy(np.fromfile(sys.argv[1], dtype=np.float32))
        x.to(torch.bfloat16).view(torch.int16).numpy().tofile(sys.argv[2])
        x.to(torch.float16).view(torch.int16).numpy().tofile(sys.argv[3])
        """;

    [Fact]
    public void Float32_to_bf16_and_f16_rounding_matches_torch_on_random_ties_and_specials()
    {
        using var dir = new TempFolder();
        var rng = new Random(42);
        var bits = new uint[200_003];
        for (var i = 0; i < bits.Length; i++)
            bits[i] = (i % 3) switch
            {
                0 => (uint)rng.NextInt64(0, 1L << 32),                                          // any pattern (incl. NaN, inf, subnormal)
                1 => ((uint)rng.Next(0, 1 << 16) << 16) | 0x8000u,                               // exact bf16 ties
                _ => (uint)BitConverter.SingleToUInt32Bits((float)(rng.NextDouble() * 131072 - 65536)), // the f16 range
            };
        var values = MemoryMarshal.Cast<uint, float>(bits).ToArray();
        File.WriteAllBytes(dir.File("x.f32"), MemoryMarshal.AsBytes<float>(values).ToArray());
        Python.Run(dir, RoundScript, dir.File("x.f32"), dir.File("x.bf16"), dir.File("x.f16"));
        var torchBf = MemoryMarshal.Cast<byte, ushort>(File.ReadAllBytes(dir.File("x.bf16"))).ToArray();
        var torchH = MemoryMarshal.Cast<byte, Half>(File.ReadAllBytes(dir.File("x.f16"))).ToArray();

        var ourBf = new ushort[values.Length];
        var ourH = new Half[values.Length];
        FloatConversions.Float32ToBFloat16(values, ourBf);
        FloatConversions.Float32ToFloat16(values, ourH);
        int bfMismatch = 0, hMismatch = 0, nans = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                nans++; // torch canonicalises NaN to 0x7FC0; we keep sign and payload; both must be NaN
                Assert.True(float.IsNaN(FloatConversions.FromBFloat16(ourBf[i])), $"bf16 of NaN {bits[i]:X8} is {ourBf[i]:X4}");
                Assert.True(Half.IsNaN(ourH[i]));
                continue;
            }
            if (ourBf[i] != torchBf[i]) bfMismatch++;
            if (BitConverter.HalfToUInt16Bits(ourH[i]) != BitConverter.HalfToUInt16Bits(torchH[i])) hMismatch++;
        }
        Assert.True(nans > 100, "the sample should hold NaNs");
        Assert.Equal(0, bfMismatch);
        Assert.Equal(0, hMismatch);
    }
}
