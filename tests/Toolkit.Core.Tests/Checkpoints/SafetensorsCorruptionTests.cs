using System.Buffers.Binary;
using System.Text;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>Each way a safetensors file can be broken is refused with a message naming the file, the tensor and the problem.</summary>
public class SafetensorsCorruptionTests
{
    /// <summary>Writes [u64 N][header][data] with N = header length unless <paramref name="declaredLength"/> overrides it.</summary>
    static string Raw(TempFolder dir, string header, int dataBytes, ulong? declaredLength = null)
    {
        var path = dir.File("bad.safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static SafetensorsException Refused(string path, string? tensor, params string[] phrases)
    {
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains($"'{path}'", e.Message);
        Assert.Equal(path, e.FilePath);
        if (tensor is not null)
        {
            Assert.Contains($"tensor '{tensor}'", e.Message);
            Assert.Equal(tensor, e.TensorName);
        }
        foreach (var p in phrases) Assert.Contains(p, e.Message);
        Assert.Contains("HINT:", e.Message);
        return e;
    }

    const string W = "\"dtype\":\"F32\",\"shape\":[2]";

    [Fact]
    public void Valid_baseline_opens() // the raw helper itself writes readable files, so the failures below are about the defect only
    {
        using var dir = new TempFolder();
        using var f = SafetensorsFile.Open(Raw(dir, $"{{\"a\":{{{W},\"data_offsets\":[0,8]}},\"b\":{{{W},\"data_offsets\":[8,16]}}}}", 16));
        Assert.Equal(["a", "b"], f.Names);
    }

    [Fact]
    public void Too_short_for_the_length_prefix()
    {
        using var dir = new TempFolder();
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Refused(path, null, "3 bytes", "shorter than the 8-byte");
    }

    [Fact]
    public void Header_length_beyond_the_file() =>
        WithDir(dir => Refused(Raw(dir, "{}", 0, declaredLength: 1000), null, "1000 bytes", "only 2 bytes follow"));

    [Fact]
    public void Absurd_header_length() =>
        WithDir(dir => Refused(Raw(dir, "{}", 0, declaredLength: ulong.MaxValue), null, "above the 100000000 byte limit"));

    [Fact]
    public void Header_that_is_not_json() =>
        WithDir(dir => Refused(Raw(dir, "{\"a\": {\"dtype\": \"F32\",", 0), null, "not valid JSON"));

    [Fact]
    public void Header_that_is_not_an_object() =>
        WithDir(dir => Refused(Raw(dir, "[1, 2]", 0), null, "not an object"));

    [Fact]
    public void Unknown_dtype() =>
        WithDir(dir => Refused(Raw(dir, "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2), "w",
            "unknown or unsupported dtype 'F8_E4M3'", "BF16"));

    [Fact]
    public void Negative_dimension() =>
        WithDir(dir => Refused(Raw(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", 0), "w", "shape[1] is negative"));

    [Fact]
    public void Shape_whose_element_count_overflows() =>
        WithDir(dir => Refused(Raw(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0), "w", "overflows"));

    [Fact]
    public void Shape_whose_byte_size_overflows() =>
        WithDir(dir => Refused(Raw(dir, "{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0), "w", "overflows 64-bit byte sizes"));

    [Fact]
    public void Byte_range_that_does_not_match_shape_times_itemsize() =>
        WithDir(dir => Refused(Raw(dir, $"{{\"w\":{{{W},\"data_offsets\":[0,12]}}}}", 12), "w", "span 12 bytes", "needs 2 x 4 = 8 bytes"));

    [Fact]
    public void Offsets_outside_the_data_section() =>
        WithDir(dir => Refused(Raw(dir, $"{{\"a\":{{{W},\"data_offsets\":[0,8]}},\"w\":{{{W},\"data_offsets\":[8,16]}}}}", 12), "w",
            "outside the data section, which holds 12 bytes"));

    [Fact]
    public void Offsets_that_end_before_they_begin_or_are_negative()
    {
        using var dir = new TempFolder();
        Refused(Raw(dir, $"{{\"w\":{{{W},\"data_offsets\":[8,0]}}}}", 8), "w", "end before they begin");
        Refused(Raw(dir, $"{{\"w\":{{{W},\"data_offsets\":[-8,0]}}}}", 8), "w", "not two non-negative");
        Refused(Raw(dir, $"{{\"w\":{{{W},\"data_offsets\":[0]}}}}", 8), "w", "exactly two integers");
    }

    [Fact]
    public void Overlapping_ranges() =>
        WithDir(dir => Refused(Raw(dir, $"{{\"a\":{{{W},\"data_offsets\":[0,8]}},\"b\":{{{W},\"data_offsets\":[4,12]}}}}", 12), "b",
            "overlap tensor 'a'", "cover the data section contiguously"));

    [Fact]
    public void Gap_between_ranges() =>
        WithDir(dir => Refused(Raw(dir, $"{{\"a\":{{{W},\"data_offsets\":[0,8]}},\"b\":{{{W},\"data_offsets\":[12,20]}}}}", 20), "b",
            "gap of 4 bytes after tensor 'a'", "requires the tensors' byte ranges to cover the data section contiguously"));

    [Fact]
    public void Gap_at_the_start_and_trailing_bytes()
    {
        using var dir = new TempFolder();
        Refused(Raw(dir, $"{{\"a\":{{{W},\"data_offsets\":[4,12]}}}}", 12), "a", "gap of 4 bytes after the start of the data section");
        Refused(Raw(dir, $"{{\"a\":{{{W},\"data_offsets\":[0,8]}}}}", 11), "a", "3 trailing bytes belong to no tensor");
    }

    [Fact]
    public void Duplicate_names() =>
        WithDir(dir => Refused(Raw(dir, $"{{\"a\":{{{W},\"data_offsets\":[0,8]}},\"a\":{{{W},\"data_offsets\":[8,16]}}}}", 16), "a", "appears twice"));

    [Fact]
    public void Metadata_with_a_non_string_value() =>
        WithDir(dir => Refused(Raw(dir, "{\"__metadata__\":{\"step\":5}}", 0), "__metadata__", "'step'", "only string values"));

    [Fact]
    public void Entry_without_dtype_or_shape()
    {
        using var dir = new TempFolder();
        Refused(Raw(dir, "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "w", "no string field 'dtype'");
        Refused(Raw(dir, "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "w", "no array field 'shape'");
        Refused(Raw(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8), "w", "not an integer");
    }

    [Fact]
    public void Missing_file_is_named()
    {
        using var dir = new TempFolder();
        Refused(dir.File("absent.safetensors"), null, "does not exist");
    }

    static void WithDir(Action<TempFolder> body)
    {
        using var dir = new TempFolder();
        body(dir);
    }
}
