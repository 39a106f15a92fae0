using System.Text.Json;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Onnx;

namespace Toolkit.Quantize;

/// <summary>What <see cref="Quantizer.Run"/> wrote.</summary>
/// <param name="Folder">The output folder (full path).</param>
/// <param name="Manifest">quantization.json's contents.</param>
public sealed record QuantizeResult(string Folder, QuantizationManifest Manifest);

/// <summary>
/// <c>toolkit quantize</c>: an exported ONNX folder → a quantized folder that runs unchanged in ORT-GenAI.
/// Steps: 1) check the folder (a decoder export, not yet quantized, external data present); 2) load the graph;
/// 3) round each MatMul weight (<see cref="Rtn"/> or <see cref="Gptq"/>) and rewrite the graph (<see cref="GraphQuantizer"/>);
/// 4) write model.onnx [+ data], quantization.json and every other file of the folder into a temporary sibling of --out;
/// 5) rename it into place (with --overwrite, the old folder is removed only after that).
/// </summary>
public static class Quantizer
{
    /// <summary>Ops that mean a graph is already quantized.</summary>
    static readonly string[] QuantizedOps = ["MatMulNBits", "DequantizeLinear", "QuantizeLinear", "GatherBlockQuantized", "MatMulInteger", "DynamicQuantizeLinear", "MatMulIntegerToFloat", "QLinearMatMul"];

    /// <summary>Runs the quantizer; <paramref name="log"/> receives progress lines. Throws <see cref="QuantizeException"/> on bad input, before anything is written.</summary>
    public static QuantizeResult Run(QuantizeOptions o, Action<string>? log = null)
    {
        o.Validate();
        // 1) checks
        var src = Path.GetFullPath(o.Model!);
        var dst = Path.GetFullPath(o.Out!);
        var modelPath = CheckSource(src);
        if (Directory.Exists(dst) || File.Exists(dst))
        {
            if (!o.Overwrite) throw new QuantizeException($"--out '{dst}' exists. HINT: pick another folder, or pass --overwrite to replace it");
            if (File.Exists(Path.Combine(dst, "model.onnx")) is false && Directory.Exists(dst) && Directory.EnumerateFileSystemEntries(dst).Any())
                throw new QuantizeException($"--out '{dst}' exists and is not a model folder (no model.onnx); refusing to replace it even with --overwrite. HINT: pick another folder");
        }

        // 2) load
        ModelProto model;
        try { model = OnnxModelReader.Load(modelPath); }
        catch (OnnxException e) { throw new QuantizeException($"model folder '{src}': {e.Message}", e); }
        CheckDecoder(model, modelPath);
        var sourceBytes = ModelBytes(src);

        // 3) round and rewrite
        Func<string, float[], int, int, QuantizedMatrix> rounding = (_, w, n, k) => Rtn.Quantize(w, n, k, o.Bits, o.Granularity, o.BlockSize, o.Symmetric);
        string? calibration = null;
        if (o.Method == QuantMethod.Gptq)
        {
            var gptq = Gptq.Calibrate(model, src, o, log);
            rounding = gptq.Quantize;
            calibration = $"{Path.GetFullPath(o.Calibration!)} ({gptq.Samples} samples, {gptq.Tokens} tokens)";
        }
        var records = GraphQuantizer.Run(model, o, rounding);
        var quantized = records.Count(r => r.Action == "quantized");
        if (quantized == 0)
            throw new QuantizeException($"model folder '{src}': no MatMul weight left to quantize ({records.Count} candidates, all excluded). HINT: loosen --exclude / --keep-sensitive");
        // 3b) --dtype fp16: the weights left unquantized, and the embedding tables, stored as float16 behind a Cast
        var fp16 = o.Dtype == UnquantizedDType.Fp16
            ? Fp16Weights.Convert(model, records.Where(r => r.Action != "quantized").Select(r => r.Weight)
                .Concat(model.Graph.Node.Where(n => n.OpType == "Gather").Select(n => n.Input[0])))
            : [];
        if (fp16.Count > 0) log?.Invoke($"stored {fp16.Count} unquantized weight(s) as fp16: {string.Join(", ", fp16)}");
        log?.Invoke($"quantized {quantized} of {records.Count} MatMul weights ({o.Bits}-bit {o.Granularity.ToString().ToLowerInvariant()}, {o.Format.ToString().ToLowerInvariant()})");

        // 4) write a temporary sibling
        var parent = Path.GetDirectoryName(dst)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(dst)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            OnnxModelWriter.Save(model, Path.Combine(tmp, "model.onnx"));
            foreach (var file in Directory.EnumerateFiles(src))
            {
                var name = Path.GetFileName(file);
                if (name.EndsWith(".onnx", StringComparison.Ordinal) || name.EndsWith(".onnx.data", StringComparison.Ordinal) || name == QuantizationManifest.FileName) continue;
                AtomicFile.Copy(file, Path.Combine(tmp, name));
            }
            var manifest = new QuantizationManifest("toolkit quantize", src, o.Bits, o.Granularity, o.Granularity == Granularity.Block ? o.BlockSize : null,
                o.Symmetric, o.Format, o.Format == QuantFormat.MatMulNBits ? o.AccuracyLevel : null, o.Method, calibration, o.Exclude, o.KeepSensitive,
                sourceBytes, ModelBytes(tmp), records) { Fp16Weights = fp16 };
            AtomicFile.WriteAllText(Path.Combine(tmp, QuantizationManifest.FileName), JsonSerializer.Serialize(manifest, QuantizationManifest.Json));

            // 5) into place
            string? old = null;
            if (Directory.Exists(dst))
            {
                old = Path.Combine(parent, $".{Path.GetFileName(dst)}.old-{Guid.NewGuid():N}");
                Directory.Move(dst, old);
            }
            Directory.Move(tmp, dst);
            if (old is not null) Directory.Delete(old, recursive: true);
            log?.Invoke($"wrote {dst}: {manifest.SourceBytes / 1e6:F2} MB → {manifest.OutputBytes / 1e6:F2} MB");
            return new QuantizeResult(dst, manifest);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
    }

    /// <summary>The path of model.onnx after checking that <paramref name="src"/> looks like an export that is not yet quantized.</summary>
    static string CheckSource(string src)
    {
        if (!Directory.Exists(src)) throw new QuantizeException($"--model '{src}' is not a folder. HINT: pass the folder `toolkit export --out` wrote");
        var modelPath = Path.Combine(src, "model.onnx");
        if (!File.Exists(modelPath) || !File.Exists(Path.Combine(src, GenAiConfig.FileName)))
            throw new QuantizeException($"--model '{src}' is not a decoder export: it needs model.onnx and {GenAiConfig.FileName}. HINT: export a checkpoint with `toolkit export --model CKPT --out DIR` first");
        if (File.Exists(Path.Combine(src, QuantizationManifest.FileName)))
            throw new QuantizeException($"--model '{src}' is already quantized (it has {QuantizationManifest.FileName}). HINT: quantize the fp32/fp16 export it came from (see 'source' in that file)");
        return modelPath;
    }

    static void CheckDecoder(ModelProto model, string modelPath)
    {
        var g = model.Graph;
        if (g.Input.All(i => i.Name != "input_ids") || g.Output.All(x => x.Name != "logits"))
            throw new QuantizeException($"{modelPath}: not a decoder export (inputs {string.Join(", ", g.Input.Select(i => i.Name).Take(4))}…; needs input 'input_ids' and output 'logits'). HINT: export a checkpoint with `toolkit export` first");
        if (g.Node.FirstOrDefault(n => QuantizedOps.Contains(n.OpType)) is { } q)
            throw new QuantizeException($"{modelPath}: already quantized (node '{q.Name}' is {q.OpType}). HINT: quantize the fp32/fp16 export it came from; quantizing twice compounds the error");
    }

    /// <summary>Bytes of the model files (*.onnx, *.onnx.data) in <paramref name="folder"/>.</summary>
    public static long ModelBytes(string folder) =>
        Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".onnx", StringComparison.Ordinal) || f.EndsWith(".onnx.data", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
}
