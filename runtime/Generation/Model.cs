using System.Globalization;
using Toolkit.Core.Onnx;
using Toolkit.Runtime.Ort;
using CoreTokenizer = Toolkit.Core.Tokenizers.Tokenizer;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// An ONNX Runtime GenAI model folder, loaded (ORT-GenAI's Model): genai_config.json read strictly, the decoder's
/// session created with the config's session options, its inputs and outputs checked against the config's names.
/// Reads folders this toolkit exports and folders made by ORT-GenAI's model builder. One model serves many generators,
/// also from several threads at once (each generator has its own KV cache and IO binding).
/// </summary>
public sealed class Model : IDisposable
{
    readonly Lazy<CoreTokenizer> _tokenizer;

    /// <summary>The model folder (full path).</summary>
    public string Folder { get; }

    /// <summary>genai_config.json as read.</summary>
    public GenAiConfig Config { get; }

    /// <summary>The decoder session.</summary>
    internal OrtSession Session { get; }

    /// <summary>Search options of genai_config.json (the starting point of every <see cref="GeneratorParams"/>).</summary>
    public SearchOptions DefaultSearch { get; }

    /// <summary>model.eos_token_id (one or several): a sequence ends when it produces any of them.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>model.pad_token_id (else the first EOS id): fed to finished sequences of a batch while others go on.</summary>
    public int PadTokenId { get; }

    /// <summary>
    /// True when attention is ORT's GroupQueryAttention: it reads only each mask row's sum (valid length), so batches
    /// are laid out with right padding and each row's cache holds its tokens contiguously from position 0. False:
    /// attention honours the mask position by position (left padding, as transformers).
    /// </summary>
    internal bool MaskIsLengths { get; }

    /// <summary>The graph has a position_ids input (fed only then, as ORT-GenAI does).</summary>
    internal bool HasPositionIds { get; }

    /// <summary>KV cache element type (float or float16) and logits element type.</summary>
    internal OrtElementType KvType { get; }
    internal OrtElementType LogitsType { get; }

    /// <summary>Per-layer KV input and output names.</summary>
    internal string[] PastKeys { get; }
    internal string[] PastValues { get; }
    internal string[] PresentKeys { get; }
    internal string[] PresentValues { get; }

    /// <summary>Operators of the decoder graph (<c>com.microsoft.GroupQueryAttention</c> etc.).</summary>
    public IReadOnlySet<string> GraphOps { get; }

    /// <summary>Loads the folder (a directory holding genai_config.json, or the config file itself).</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="intraOpThreads">Threads inside one op; null = session_options.intra_op_num_threads, else one per core.</param>
    public Model(string folder, int? intraOpThreads = null)
    {
        Config = GenAiConfigJson.Read(folder);
        var full = Path.GetFullPath(folder);
        Folder = Directory.Exists(full) ? full : Path.GetDirectoryName(full)!;
        var d = Config.Decoder;
        var onnx = Path.Combine(Folder, d.Filename);

        using (var options = SessionOptionsFrom(d.SessionOptions, intraOpThreads))
            Session = OrtSession.Load(onnx, options);
        try
        {
            GraphOps = Generation.GraphOps.Scan(onnx);
            MaskIsLengths = GraphOps.Contains("com.microsoft.GroupQueryAttention");
            var inputs = Session.Inputs.ToDictionary(i => i.Name);
            var outputs = Session.Outputs.ToDictionary(o => o.Name);
            var layers = d.NumHiddenLayers;
            PastKeys = Enumerable.Range(0, layers).Select(d.PastKey).ToArray();
            PastValues = Enumerable.Range(0, layers).Select(d.PastValue).ToArray();
            PresentKeys = Enumerable.Range(0, layers).Select(d.PresentKey).ToArray();
            PresentValues = Enumerable.Range(0, layers).Select(d.PresentValue).ToArray();
            foreach (var name in new[] { d.InputIds, d.AttentionMask }.Concat(PastKeys).Concat(PastValues))
                if (!inputs.ContainsKey(name)) throw Missing(onnx, "input", name, inputs.Keys);
            foreach (var name in new[] { d.Logits }.Concat(PresentKeys).Concat(PresentValues))
                if (!outputs.ContainsKey(name)) throw Missing(onnx, "output", name, outputs.Keys);
            HasPositionIds = inputs.ContainsKey(d.PositionIds ?? "position_ids");
            KvType = inputs[PastKeys[0]].ElementType;
            LogitsType = outputs[d.Logits].ElementType;
            if (KvType is not (OrtElementType.Float or OrtElementType.Float16) || LogitsType is not (OrtElementType.Float or OrtElementType.Float16))
                throw new GenerationException(
                    $"{onnx}: KV cache is {KvType} and logits {LogitsType}; this engine runs float32 or float16 decoders. HINT: export with --dtype fp32 or fp16");
            if (inputs[d.InputIds].ElementType != OrtElementType.Int64 || inputs[d.AttentionMask].ElementType != OrtElementType.Int64)
                throw new GenerationException($"{onnx}: input_ids and attention_mask must be int64 (as ORT-GenAI's builder writes them)");

            EosTokenIds = Config.EosTokenIds;
            PadTokenId = Config.PadTokenId ?? (EosTokenIds.Count > 0 ? EosTokenIds[0] : 0);
            DefaultSearch = SearchOptions.FromConfig(Config.Search);
        }
        catch
        {
            Session.Dispose();
            throw;
        }
        _tokenizer = new Lazy<CoreTokenizer>(() => CoreTokenizer.FromFolder(TokenizerFolder));
    }

    /// <summary>Where the tokenizer files are: model.tokenizer_dir, or the folder itself.</summary>
    public string TokenizerFolder => Config.TokenizerDir is { } td ? Path.Combine(Folder, td) : Folder;

    /// <summary>The folder's tokenizer (tokenizer.json + tokenizer_config.json), loaded on first use.</summary>
    internal CoreTokenizer CoreTokenizer => _tokenizer.Value;

    /// <summary>model.type of genai_config.json ("llama", "qwen2", ...), as ORT-GenAI's Model.GetModelType.</summary>
    public string GetModelType() => Config.ModelType;

    /// <summary>The context length (longest prompt + generation the model supports).</summary>
    public int ContextLength => Config.ContextLength;

    /// <summary>Generates for <paramref name="prompts"/> (see <see cref="TextGeneration.Generate"/>).</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<string> prompts, GenerationOptions? options = null) =>
        TextGeneration.Generate(this, prompts, options ?? new GenerationOptions());

    static GenerationException Missing(string onnx, string kind, string name, IEnumerable<string> have) =>
        new($"{onnx}: the graph has no {kind} '{name}' that genai_config.json names (it has: {string.Join(", ", have.Take(12))}{(have.Count() > 12 ? ", ..." : "")}). " +
            "HINT: fix model.decoder.inputs / outputs in genai_config.json, or re-export the model");

    /// <summary>ORT session options from genai_config.json's session_options (as ORT-GenAI's CreateSessionOptionsFromConfig).</summary>
    static OrtSessionOptions SessionOptionsFrom(IReadOnlyDictionary<string, object> so, int? intraOpThreads)
    {
        var o = new OrtSessionOptions();
        try
        {
            var threads = intraOpThreads ?? (so.TryGetValue("intra_op_num_threads", out var t) ? Convert.ToInt32(t, CultureInfo.InvariantCulture) : Environment.ProcessorCount);
            o.SetIntraOpThreads(threads);
            foreach (var (key, value) in so)
                switch (key)
                {
                    case "intra_op_num_threads" or "log_id" or "log_severity_level" or "log_verbosity_level" or "enable_profiling" or "provider_options":
                        break;   // threads handled above; logging/profiling are not wired; CPU is the only provider here
                    case "inter_op_num_threads":
                        o.SetInterOpThreads(Convert.ToInt32(value, CultureInfo.InvariantCulture));
                        break;
                    case "enable_cpu_mem_arena":
                        o.SetCpuMemArena(value is true);
                        break;
                    case "enable_mem_pattern":
                        o.SetMemoryPattern(value is true);
                        break;
                    case "graph_optimization_level":
                        o.SetGraphOptimizationLevel(value switch
                        {
                            "ORT_DISABLE_ALL" => GraphOptimizationLevel.DisableAll,
                            "ORT_ENABLE_BASIC" => GraphOptimizationLevel.Basic,
                            "ORT_ENABLE_EXTENDED" => GraphOptimizationLevel.Extended,
                            _ => GraphOptimizationLevel.All,
                        });
                        break;
                    case "custom_ops_library":
                        throw new GenerationException($"session_options.custom_ops_library = '{value}' is not supported. HINT: remove it; graphs for this engine use only ONNX and com.microsoft ops");
                    default:
                        if (value is string s) o.AddConfigEntry(key, s);
                        break;
                }
            return o;
        }
        catch
        {
            o.Dispose();
            throw;
        }
    }

    /// <summary>Releases the session.</summary>
    public void Dispose() => Session.Dispose();
}
