using Toolkit.Core.Checkpoints;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Onnx;

/// <summary>
/// Checks that a model folder's genai_config.json agrees with its ONNX graph, engine-free (read through
/// <see cref="OnnxModelReader"/> without external data): the named inputs and outputs exist, one past/present pair per
/// layer and no more, static dimensions of the KV inputs match num_key_value_heads / head_size, the logits' last
/// dimension matches vocab_size, and the tokenizer's ids fit vocab_size. A mismatch is an <see cref="OnnxException"/>
/// naming genai_config.json and the field, instead of the engine's "Missing Input: past_key_values.3.value" on the
/// first request.
/// </summary>
public static class GenAiGraphCheck
{
    /// <summary>Reads <c>genai_config.json</c>, its decoder graph and tokenizer.json (when present) in <paramref name="folder"/> and checks them.</summary>
    public static void Validate(string folder)
    {
        var configPath = Path.Combine(Path.GetFullPath(folder), GenAiConfig.FileName);
        var config = GenAiConfigJson.Read(configPath);
        var model = OnnxModelReader.Load(Path.Combine(Path.GetDirectoryName(configPath)!, config.Decoder.Filename), loadExternalData: false);
        Validate(config, configPath, model.Graph);
        var tokenizer = Path.Combine(Path.GetDirectoryName(configPath)!, "tokenizer.json");
        if (File.Exists(tokenizer))
        {
            var tokConfig = Path.Combine(Path.GetDirectoryName(configPath)!, "tokenizer_config.json");
            try
            {
                FolderValidation.RequireTokenizerFits(Tokenizer.FromFile(tokenizer, File.Exists(tokConfig) ? tokConfig : null), configPath, config.VocabSize);
            }
            catch (CheckpointException e)
            {
                throw new OnnxException(configPath, e.Message.Replace("field 'vocab_size'", "field 'model.vocab_size'"), e);
            }
        }
    }

    /// <summary>Checks <paramref name="config"/> (read from <paramref name="configPath"/>) against <paramref name="graph"/>.</summary>
    public static void Validate(GenAiConfig config, string configPath, GraphProto graph)
    {
        var inputs = graph.Input.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var outputs = graph.Output.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var d = config.Decoder;
        OnnxException Error(string field, string problem, string hint) =>
            new(configPath, $"{configPath}: field '{field}' {problem}. HINT: {hint}");
        var regenerate = "export the folder again, or correct genai_config.json to describe model.onnx";

        // 1) named inputs and outputs
        void NeedInput(string name, string field)
        {
            if (!inputs.ContainsKey(name))
                throw Error(field, $"names graph input '{name}', which {d.Filename} does not have (its inputs: {string.Join(", ", inputs.Keys.Take(8))}{(inputs.Count > 8 ? ", ..." : "")})", regenerate);
        }
        NeedInput(d.InputIds, "model.decoder.inputs.input_ids");
        NeedInput(d.AttentionMask, "model.decoder.inputs.attention_mask");
        if (d.PositionIds is { } pos) NeedInput(pos, "model.decoder.inputs.position_ids");
        if (!outputs.ContainsKey(d.Logits))
            throw Error("model.decoder.outputs.logits", $"names graph output '{d.Logits}', which {d.Filename} does not have", regenerate);

        // 2) one past/present pair per layer, and no more
        var graphLayers = 0;
        while (inputs.ContainsKey(config.Decoder.PastKey(graphLayers))) graphLayers++;
        if (graphLayers != d.NumHiddenLayers)
            throw Error("model.decoder.num_hidden_layers",
                $"is {d.NumHiddenLayers}, but {d.Filename} has {graphLayers} layers of KV-cache inputs ('{d.PastKey(0)}' ... '{d.PastKey(Math.Max(0, graphLayers - 1))}')",
                $"set num_hidden_layers to {graphLayers}, or {regenerate}");
        for (var l = 0; l < d.NumHiddenLayers; l++)
        {
            NeedInput(d.PastValue(l), "model.decoder.inputs.past_value_names");
            foreach (var (name, field) in new[] { (d.PresentKey(l), "model.decoder.outputs.present_key_names"), (d.PresentValue(l), "model.decoder.outputs.present_value_names") })
                if (!outputs.ContainsKey(name))
                    throw Error(field, $"names graph output '{name}', which {d.Filename} does not have", regenerate);

            // 3) static KV dimensions: (batch, num_key_value_heads, past_sequence, head_size)
            foreach (var name in new[] { d.PastKey(l), d.PastValue(l) })
            {
                var dims = inputs[name].Type?.TensorType?.Shape?.Dim;
                if (dims is null || dims.Count != 4) continue;
                if (dims[1].HasDimValue && dims[1].DimValue != d.NumKeyValueHeads)
                    throw Error("model.decoder.num_key_value_heads", $"is {d.NumKeyValueHeads}, but graph input '{name}' has {dims[1].DimValue} heads (dimension 1)", regenerate);
                if (dims[3].HasDimValue && dims[3].DimValue != d.HeadSize)
                    throw Error("model.decoder.head_size", $"is {d.HeadSize}, but graph input '{name}' has head size {dims[3].DimValue} (dimension 3)", regenerate);
            }
        }

        // 4) logits: (batch, sequence, vocab_size)
        var logitDims = outputs[d.Logits].Type?.TensorType?.Shape?.Dim;
        if (logitDims is { Count: > 0 } && logitDims[^1].HasDimValue && logitDims[^1].DimValue != config.VocabSize)
            throw Error("model.vocab_size", $"is {config.VocabSize}, but graph output '{d.Logits}' has {logitDims[^1].DimValue} logits per token", regenerate);
        var ids = new List<(string, int?)> { ("model.bos_token_id", config.BosTokenId), ("model.pad_token_id", config.PadTokenId) };
        ids.AddRange(config.EosTokenIds.Select(id => ("model.eos_token_id", (int?)id)));
        foreach (var (field, id) in ids)
            if (id is { } v && (v < 0 || v >= config.VocabSize))
                throw Error(field, $"is {v}, outside the vocabulary of {config.VocabSize} ids (model.vocab_size)", "set it to the token's id in tokenizer.json");
    }
}
