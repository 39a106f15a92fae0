namespace Toolkit.Quantize;

/// <summary>Which weights share one scale (and zero point).</summary>
public enum Granularity
{
    /// <summary>One scale for the whole weight matrix (the design card's default; coarse, see --help for its cost).</summary>
    Tensor,
    /// <summary>One scale per output channel (per row of the (N, K) weight, i.e. per column of the MatMul's (K, N) B).</summary>
    Channel,
    /// <summary>One scale per <c>block_size</c> consecutive input features of each output channel (MatMulNBits' native form).</summary>
    Block,
}

/// <summary>How a quantized MatMul is written into the graph.</summary>
public enum QuantFormat
{
    /// <summary><c>com.microsoft.MatMulNBits</c>: packed weights, prepacked by ORT at load, int8 compute with accuracy_level 4.</summary>
    MatMulNBits,
    /// <summary>Standard <c>DequantizeLinear</c> feeding the original <c>MatMul</c> (per-tensor / per-axis at opset 17; blocked or 4-bit at opset 21).</summary>
    Qdq,
}

/// <summary>Which layers <c>--keep-sensitive</c> leaves unquantized.</summary>
public enum KeepSensitive
{
    /// <summary>Quantize every MatMul weight not excluded by pattern.</summary>
    None,
    /// <summary>Keep the LM head (and so, when tied, the shared embedding matrix) at full precision. Embeddings (Gather) are never quantized.</summary>
    Head,
    /// <summary>Keep the LM head and the attention projections (q/k/v/o_proj) at full precision.</summary>
    HeadAndAttention,
}

/// <summary>Rounding method.</summary>
public enum QuantMethod
{
    /// <summary>Round to nearest: each weight independently (no data needed).</summary>
    Rtn,
    /// <summary>GPTQ (Frantar et al. 2022, Algorithm 1): column-by-column rounding with the error pushed onto the not-yet-quantized columns, weighted by the calibration inputs' Hessian X^T X.</summary>
    Gptq,
}

/// <summary>How the weights left unquantized (kept MatMul weights, embeddings) are stored.</summary>
public enum UnquantizedDType
{
    /// <summary>As they are in the source (fp32).</summary>
    Fp32,
    /// <summary>Stored as float16, with a Cast to float in front of their readers: half the bytes on disk; the graph computes as before.</summary>
    Fp16,
}
