using Toolkit.Core.Onnx;

namespace Toolkit.Export;

/// <summary>Element type of the exported weights, KV cache and logits.</summary>
public enum ExportDtype
{
    /// <summary>float32 everywhere (the CPU default; exact parity with the libtorch decoder).</summary>
    Fp32,
    /// <summary>float16 weights, KV cache and logits; RMSNorm and softmax computed in float32 as transformers does.</summary>
    Fp16,
}

/// <summary>Which operators the exported graph is made of.</summary>
public enum ExportOps
{
    /// <summary>
    /// Default-domain ONNX opset 17 plus the ONNX Runtime contrib ops ORT-GenAI's builder uses on CPU that give exact
    /// parity here: com.microsoft SkipSimplifiedLayerNormalization (residual add + RMSNorm) and RotaryEmbedding.
    /// Attention stays in standard ops (KV concatenated), so any padding, left included, and any chunking work.
    /// `make bench --only export` compares this form with <see cref="Standard"/>.
    /// </summary>
    OrtContrib,
    /// <summary>Only default-domain ONNX opset 17 ops, so any ONNX tool (and onnx.checker with full shape inference) can read the whole graph.</summary>
    Standard,
    /// <summary>
    /// <see cref="OrtContrib"/> with attention as com.microsoft GroupQueryAttention over one KV buffer of max_length
    /// positions shared by past and present (genai_config past_present_share_buffer: true), as ORT-GenAI's model builder
    /// writes for CPU. Keys past a row's last real token are ignored (seqlens_k), so batches must be right-padded (as
    /// ORT-GenAI pads them); left padding is not supported, nor a several-token chunk after a past at batch &gt; 1
    /// (ONNX Runtime's GroupQueryAttention refuses it).
    /// </summary>
    OrtGqa,
}

/// <summary>Settings of one export (the CLI's <c>toolkit export</c> options).</summary>
public sealed record ExportOptions
{
    /// <summary>Weights / KV / logits element type (default fp32).</summary>
    public ExportDtype Dtype { get; init; } = ExportDtype.Fp32;
    /// <summary>
    /// Operator set (default <see cref="ExportOps.OrtGqa"/>, ORT-GenAI's builder form, measured faster under ORT-GenAI by
    /// `make bench ONLY=decode`; <see cref="ExportOps.OrtContrib"/> where left-padded or chunked batches are fed directly;
    /// <see cref="ExportOps.Standard"/> for portability).
    /// </summary>
    public ExportOps Ops { get; init; } = ExportOps.OrtGqa;
    /// <summary>Initializers inline or in model.onnx.data (default: external when over 1 GiB).</summary>
    public ExternalData ExternalData { get; init; } = ExternalData.Auto;
    /// <summary>genai_config.json search.max_length; null = the model's context length (as ORT-GenAI's builder writes).</summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// genai_config.json session_options.intra_op_num_threads: null (default) = the exporting machine's physical cores as
    /// the OS reports them, at most 16 (<c>Toolkit.Runtime.Ort.CpuCores</c>; ONNX Runtime's own 0 runs one thread on VMs
    /// whose CPUID hides cores, and ORT-GenAI's absent-field default is half the hardware threads); 0 = leave the count to
    /// ONNX Runtime on the machine that loads the folder; N &gt; 0 = N (for a known target machine).
    /// </summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>Checks the settings against the model's context length.</summary>
    public void Validate(int contextLength)
    {
        if (IntraOpThreads is < 0)
            throw new ArgumentException($"intra-op threads {IntraOpThreads} must be ≥ 0 (0 = ONNX Runtime decides where the folder is loaded)");
        if (MaxLength is { } m && (m <= 0 || m > contextLength))
            throw new ArgumentException($"max length {m} must be in 1..{contextLength} (the model's context length)");
    }
}
