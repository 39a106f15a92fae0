using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// What can be checked cheaply when a model folder is loaded, before any work: finite weights (<see cref="WeightChecks"/>)
/// and a vocabulary that agrees between config.json, generation_config.json and tokenizer.json. A folder that cannot
/// be right is refused with a <see cref="CheckpointException"/> naming the file and the field, instead of failing later
/// inside the engine ("index out of range in self", "loss is NaN").
/// </summary>
public static class FolderValidation
{
    /// <summary>Every check below on an opened checkpoint; <paramref name="checkWeights"/> false skips the weight scan.</summary>
    public static void Validate(CheckpointFolder folder, bool checkWeights = true)
    {
        if (checkWeights) WeightChecks.RequireFinite(folder.Weights);
        var configPath = Path.Combine(folder.Folder, ModelConfigJson.FileName);
        RequireIdsInVocab(configPath, folder.Config.VocabSize,
            [("bos_token_id", folder.Config.BosTokenId), .. folder.Config.EosTokenIds.Select(id => ("eos_token_id", (int?)id))]);
        if (folder.Generation is { } g)
            RequireIdsInVocab(Path.Combine(folder.Folder, GenerationConfig.FileName), folder.Config.VocabSize,
                [("bos_token_id", g.BosTokenId), ("pad_token_id", g.PadTokenId), .. (g.EosTokenIds ?? []).Select(id => ("eos_token_id", (int?)id))],
                $"config.json's vocab_size ({folder.Config.VocabSize})");
        if (folder.TokenizerJsonPath is { } tok)
            RequireTokenizerFits(Tokenizer.FromFile(tok, folder.TokenizerConfigPath), configPath, folder.Config.VocabSize);
    }

    /// <summary>
    /// Refuses a tokenizer that produces ids the model has no embedding row for: its largest id (vocabulary and added
    /// tokens) must be below <paramref name="vocabSize"/>, read from <paramref name="configPath"/>'s <c>vocab_size</c>.
    /// </summary>
    public static void RequireTokenizerFits(Tokenizer tokenizer, string configPath, int vocabSize)
    {
        if (tokenizer.VocabSize <= vocabSize) return;
        var largest = tokenizer.VocabSize - 1;
        throw new CheckpointException(configPath,
            $"{configPath}: field 'vocab_size' is {vocabSize}, but {tokenizer.SourcePath} has ids up to {largest} " +
            $"('{tokenizer.IdToToken(largest)}'), which would index past the embedding table. " +
            $"HINT: set vocab_size to at least {largest + 1} (and resize the embeddings), or use the tokenizer.json that belongs to this model");
    }

    /// <summary>Refuses a special-token id (bos / eos / pad) outside [0, <paramref name="vocabSize"/>).</summary>
    public static void RequireIdsInVocab(string path, int vocabSize, IEnumerable<(string Field, int? Id)> ids, string? vocabFrom = null)
    {
        foreach (var (field, id) in ids)
            if (id is { } v && (v < 0 || v >= vocabSize))
                throw new CheckpointException(path,
                    $"{path}: field '{field}' is {v}, outside the vocabulary of {vocabSize} ids ({vocabFrom ?? "vocab_size"}). " +
                    "HINT: set it to the id of the token in tokenizer.json, or fix vocab_size");
    }
}
