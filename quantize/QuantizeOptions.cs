using Toolkit.Core.Options;
namespace Toolkit.Quantize;

/// <summary>
/// Options of <c>toolkit quantize</c>. Each property's words (default, range, interactions) live in its
/// <see cref="OptionAttribute"/>, which the CLI help prints. Call <see cref="Validate"/> before quantizing.
/// </summary>
public sealed record QuantizeOptions
{
    /// <summary>Input folder.</summary>
    [Option("model", "Exported ONNX folder (model.onnx [+ model.onnx.data], genai_config.json, tokenizer files), as written by `toolkit export`. Required.")]
    public string? Model { get; init; }

    /// <summary>Output folder.</summary>
    [Option("out", "Folder to write: the input folder's files with model.onnx [+ .data] quantized, plus quantization.json (what was done to which node). Refused if it exists, unless --overwrite. Written to a temporary sibling and renamed into place. Required.")]
    public string? Out { get; init; }

    /// <summary>Bits per weight.</summary>
    [Option("bits", "Bits per weight: 8 or 4. Default 8 (the design card's INT8).")]
    public int Bits { get; init; } = 8;

    /// <summary>Scale sharing.</summary>
    [Option("granularity", "tensor (default: the design card's per-tensor scaling, one scale per weight matrix), channel (one per output channel) or block (one per --block-size input features of each output channel). " +
        "Per-tensor costs accuracy: one outlier sets the step for the whole matrix. Measured by `quantize report --sweep` on the tiny preset (random weights, 582 held-out tokens): int8 per-tensor mean KL 5.9e-5 nats and top-1 agreement 94.5% against 3.2e-5 and 97.1% per-channel; int4 per-tensor KL 1.3e-2, top-1 38.5%, greedy match 0/4 against 4.0e-3, 62.5%, 3/4 at block 32. Use channel for int8 and block 32 (or GPTQ) for int4. " +
        "With --format matmulnbits, channel and tensor are written as blocks of min(256, next power of two ≥ K) whose scale repeats along the row (MatMulNBits takes blocks of 16..256 only)")]
    public Granularity Granularity { get; init; } = Granularity.Tensor;

    /// <summary>Block size for block granularity.</summary>
    [Option("block_size", "Input features per scale with --granularity block: a power of two in 16..256 that divides every quantized K. Default 32 (llama.cpp Q4_0/Q8_0, ORT-GenAI's builder). Ignored otherwise.")]
    public int BlockSize { get; init; } = 32;

    /// <summary>Symmetric codes.</summary>
    [Option("symmetric", "Symmetric (default; --asymmetric turns it off): scale = max|w| / (2^(bits-1) − 1), zero point 2^(bits-1), no zero points stored. Asymmetric: scale = (max − min) / (2^bits − 1) over [min(w,0), max(w,0)] with a stored zero point; better for skewed weights, one more byte (8-bit) or nibble (4-bit) per group.")]
    public bool Symmetric { get; init; } = true;

    /// <summary>Graph form.</summary>
    [Option("format", "matmulnbits (default: com.microsoft.MatMulNBits, what ORT-GenAI's builder writes; fastest on CPU) or qdq (DequantizeLinear → MatMul; opset 17 for 8-bit tensor/channel, opset 21 for 4-bit or blocks, which ORT fuses back to MatMulNBits).")]
    public QuantFormat Format { get; init; } = QuantFormat.MatMulNBits;

    /// <summary>MatMulNBits accuracy_level.</summary>
    [Option("accuracy_level", "MatMulNBits accuracy_level: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 activations (default 4, as ORT-GenAI's builder on CPU: int8 dot products where MLAS has a kernel for the bits and block size, else fp32). Range 0..4. Ignored with --format qdq.")]
    public int AccuracyLevel { get; init; } = 4;

    /// <summary>Name patterns to leave unquantized.</summary>
    [Option("exclude", "Glob patterns (* and ?) over node names and weight names; a matching MatMul keeps its weights byte for byte. Repeatable. Example: --exclude '*layers.0.*' --exclude '*down_proj*'.")]
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Preset of sensitive layers to keep.</summary>
    [Option("keep_sensitive", "none (default), head (keep the LM head; embeddings are never quantized, so a tied embedding stays whole) or head-and-attention (also q/k/v/o_proj).")]
    public KeepSensitive KeepSensitive { get; init; } = KeepSensitive.None;

    /// <summary>Storage of the weights left unquantized.</summary>
    [Option("dtype", "fp32 (default) or fp16: how the weights left unquantized (kept by --exclude / --keep-sensitive, and the embedding table) are stored. fp16 halves their bytes on disk; a Cast in front of them keeps the graph computing in fp32 (ONNX Runtime folds it at load, so memory is as with fp32). Norms and biases stay fp32.")]
    public UnquantizedDType Dtype { get; init; } = UnquantizedDType.Fp32;

    /// <summary>Rounding method.</summary>
    [Option("method", "rtn (default: round to nearest) or gptq (needs --calibration; error-compensating rounding, Frantar et al. 2022).")]
    public QuantMethod Method { get; init; } = QuantMethod.Rtn;

    /// <summary>Calibration text for GPTQ.</summary>
    [Option("calibration", "Text file for --method gptq: one sample per non-empty line (or JSONL with a \"text\" field), tokenized with the folder's tokenizer.json. Default none.")]
    public string? Calibration { get; init; }

    /// <summary>Calibration samples.</summary>
    [Option("calibration_samples", "Samples read from --calibration. Default 32; range 1..4096.")]
    public int CalibrationSamples { get; init; } = 32;

    /// <summary>Overwrite an existing output folder.</summary>
    [Option("overwrite", "Replace --out if it exists (the old folder is removed only after the new one is complete). Default off.")]
    public bool Overwrite { get; init; }

    /// <summary>Throws a <see cref="QuantizeException"/> naming the option and what to do.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new QuantizeException("--model is required: an exported ONNX folder (`toolkit export --out DIR`)");
        if (string.IsNullOrWhiteSpace(Out)) throw new QuantizeException("--out is required: the folder to write");
        if (Bits is not (4 or 8)) throw new QuantizeException($"--bits {Bits}: use 8 or 4");
        if (Granularity == Granularity.Block && (BlockSize < 16 || BlockSize > 256 || (BlockSize & (BlockSize - 1)) != 0))
            throw new QuantizeException($"--block-size {BlockSize}: use a power of two in 16..256 (16, 32, 64, 128, 256)");
        if (AccuracyLevel is < 0 or > 4) throw new QuantizeException($"--accuracy-level {AccuracyLevel}: use 0..4 (4 = int8 compute)");
        if (Method == QuantMethod.Gptq && Calibration is null) throw new QuantizeException("--method gptq needs --calibration FILE (text lines or JSONL with \"text\")");
        if (CalibrationSamples is < 1 or > 4096) throw new QuantizeException($"--calibration-samples {CalibrationSamples}: use 1..4096");
        if (Path.GetFullPath(Model) == Path.GetFullPath(Out)) throw new QuantizeException("--out must differ from --model: the source folder is never modified");
    }
}
