namespace Toolkit.Quantize.Report;

/// <summary>One line of the accuracy report (the reference's own line has Δ = 0, KL = 0, agreement and match = 1).</summary>
/// <param name="Variant">Folder name (or the sweep's variant name).</param>
/// <param name="Scheme">What was done, from quantization.json: e.g. "int4 block 32 sym rtn matmulnbits"; "reference" for the reference.</param>
/// <param name="SizeMb">model.onnx [+ .data] size on disk, MB (10^6 bytes).</param>
/// <param name="Perplexity">exp(mean NLL) over every scored next token of the held-out text.</param>
/// <param name="DeltaPplPercent">100 · (perplexity / reference perplexity − 1).</param>
/// <param name="MeanKl">Mean over scored positions of KL(reference ‖ variant) of the next-token distributions, nats.</param>
/// <param name="Top1Agreement">Share of scored positions where both argmax tokens agree.</param>
/// <param name="GreedyMatch">Share of prompts whose greedy continuation (ORT-GenAI) equals the reference's token for token.</param>
/// <param name="LoadSeconds">ORT-GenAI Model load, seconds (graph load, optimization, weight prepacking).</param>
/// <param name="PrefillTokPerSec">Prompt tokens per second of AppendTokens.</param>
/// <param name="DecodeTokPerSec">Decode forwards per second of GenerateNextToken (batch 1).</param>
/// <param name="PeakRssMb">Peak resident set added while loading and generating with this folder (VmHWM after a reset, minus VmRSS before), MB.</param>
public sealed record ReportRow(string Variant, string Scheme, double SizeMb, double Perplexity, double DeltaPplPercent, double MeanKl,
    double Top1Agreement, double GreedyMatch, double LoadSeconds, double PrefillTokPerSec, double DecodeTokPerSec, double PeakRssMb);
