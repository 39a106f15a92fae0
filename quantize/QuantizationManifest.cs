using System.Text.Json;
using System.Text.Json.Serialization;

namespace Toolkit.Quantize;

/// <summary>What happened to one MatMul / Gemm weight, as written to quantization.json.</summary>
/// <param name="Node">Node name (unchanged in the output graph).</param>
/// <param name="Weight">Initializer name of the weight in the source graph.</param>
/// <param name="OpBefore">MatMul or Gemm.</param>
/// <param name="OpAfter">MatMulNBits, DequantizeLinear+MatMul, or the original op when kept.</param>
/// <param name="N">Output features.</param>
/// <param name="K">Input features.</param>
/// <param name="Action">quantized, excluded or kept-sensitive.</param>
/// <param name="Reason">Which pattern or preset kept it (null when quantized).</param>
/// <param name="Bits">Bits (null when kept).</param>
/// <param name="Granularity">Granularity (null when kept).</param>
/// <param name="BlockSize">Input features per scale as stored (MatMulNBits: the op's block_size; null when kept).</param>
/// <param name="MaxAbsError">max |dequant(q) − w| over the matrix (null when kept).</param>
/// <param name="MaxStepRatio">max over elements of |dequant(q) − w| / scale (≤ 0.5 for RTN; null when kept).</param>
public sealed record NodeRecord(string Node, string Weight, string OpBefore, string OpAfter, int N, int K, string Action, string? Reason,
    int? Bits, Granularity? Granularity, int? BlockSize, double? MaxAbsError, double? MaxStepRatio);

/// <summary>quantization.json: the options used and one <see cref="NodeRecord"/> per MatMul weight.</summary>
/// <param name="Tool">"toolkit quantize".</param>
/// <param name="Source">Full path of the source folder.</param>
/// <param name="Bits">--bits.</param>
/// <param name="Granularity">--granularity.</param>
/// <param name="BlockSize">--block-size (block granularity only).</param>
/// <param name="Symmetric">--symmetric.</param>
/// <param name="Format">--format.</param>
/// <param name="AccuracyLevel">--accuracy-level (matmulnbits only).</param>
/// <param name="Method">--method.</param>
/// <param name="Calibration">--calibration file and samples used (gptq only).</param>
/// <param name="Exclude">--exclude patterns.</param>
/// <param name="KeepSensitive">--keep-sensitive.</param>
/// <param name="SourceBytes">Bytes of model.onnx [+ data] in the source.</param>
/// <param name="OutputBytes">Bytes of model.onnx [+ data] written.</param>
/// <param name="Nodes">One record per MatMul / Gemm with a constant weight, graph order.</param>
public sealed record QuantizationManifest(string Tool, string Source, int Bits, Granularity Granularity, int? BlockSize, bool Symmetric,
    QuantFormat Format, int? AccuracyLevel, QuantMethod Method, string? Calibration, IReadOnlyList<string> Exclude, KeepSensitive KeepSensitive,
    long SourceBytes, long OutputBytes, IReadOnlyList<NodeRecord> Nodes)
{
    /// <summary>--dtype fp16: the initializers stored as float16 behind a Cast (empty with fp32).</summary>
    public IReadOnlyList<string> Fp16Weights { get; init; } = [];

    /// <summary>The file name in a quantized folder.</summary>
    public const string FileName = "quantization.json";

    /// <summary>snake_case keys, enums as kebab-case strings.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads <paramref name="path"/>; throws <see cref="QuantizeException"/> naming the file when it is not one.</summary>
    public static QuantizationManifest Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<QuantizationManifest>(File.ReadAllText(path), Json)
                ?? throw new QuantizeException($"{path}: empty. HINT: quantize the folder again");
        }
        catch (JsonException e)
        {
            throw new QuantizeException($"{path}, line {e.LineNumber + 1}: {e.Message}. HINT: quantize the folder again", e);
        }
    }
}
