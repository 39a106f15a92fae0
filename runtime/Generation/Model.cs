using Toolkit.Core.Onnx;
using Toolkit.Runtime.Ort;
using CoreTokenizer = Toolkit.Core.Tokenizers.Tokenizer;
using Oga = Microsoft.ML.OnnxRuntimeGenAI;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// An ONNX Runtime GenAI model folder, loaded by ORT-GenAI 0.18 (<c>Microsoft.ML.OnnxRuntimeGenAI.Model</c>), with
/// what the toolkit adds around it: genai_config.json read strictly first (errors name the file and field), the
/// folder's tokenizer and chat template (ours, core/Tokenizers and core/Templates), the search defaults as a typed
/// <see cref="SearchOptions"/>. One model serves many generators, also from several threads at once (each
/// <see cref="Generator"/> has its own ORT-GenAI generator and KV cache; the ORT session is shared).
/// </summary>
public sealed class Model : IDisposable
{
    readonly Lazy<CoreTokenizer> _tokenizer;

    /// <summary>The model folder (full path).</summary>
    public string Folder { get; }

    /// <summary>genai_config.json as read.</summary>
    public GenAiConfig Config { get; }

    /// <summary>ORT-GenAI's model (shared by every generator of this model).</summary>
    internal Oga.Model Native { get; }

    /// <summary>Search options of genai_config.json (the starting point of every <see cref="GeneratorParams"/>).</summary>
    public SearchOptions DefaultSearch { get; }

    /// <summary>model.eos_token_id (one or several): a sequence ends when it produces any of them.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>model.pad_token_id (else the first EOS id): what ORT-GenAI pads batches with and feeds finished rows.</summary>
    public int PadTokenId { get; }

    /// <summary>True when the decoder's attention is com.microsoft GroupQueryAttention (it can share one KV buffer for past and present).</summary>
    public bool IsGroupQueryAttention { get; }

    /// <summary>Where it runs.</summary>
    public Device Device { get; }

    /// <summary>Loads the folder (a directory holding genai_config.json, or the config file itself).</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="intraOpThreads">
    /// Threads inside one op; null = session_options.intra_op_num_threads of genai_config.json when it is &gt; 0 (what
    /// plain ORT-GenAI runs too), else, and for 0, <see cref="CpuCores.DefaultIntraOpThreads"/> (one per physical core
    /// as the OS reports them; see <see cref="CpuCores"/> for why not ORT's or ORT-GenAI's default). Applied with
    /// <c>Config.Overlay</c>, the folder is not changed.
    /// </param>
    /// <param name="device">Execution provider; <see cref="Device.Cuda"/> needs ORT-GenAI's CUDA build.</param>
    /// <exception cref="GenerationException">The folder does not load (message names the file and what to do).</exception>
    public Model(string folder, int? intraOpThreads = null, Device device = Device.Cpu)
    {
        if (intraOpThreads is < 0) throw new GenerationException($"intra-op threads {intraOpThreads} must be ≥ 0 (0 = one per physical core as the OS reports them)");
        Config = GenAiConfigJson.Read(folder);
        var full = Path.GetFullPath(folder);
        Folder = Directory.Exists(full) ? full : Path.GetDirectoryName(full)!;
        Device = device;
        var onnx = Path.Combine(Folder, Config.Decoder.Filename);
        ModelFiles.Check(onnx);
        IsGroupQueryAttention = GraphOps.Scan(onnx).Contains("com.microsoft.GroupQueryAttention");
        // The folder's positive count is run as written (as plain ORT-GenAI runs it); 0 or absent would leave the choice
        // to ONNX Runtime (CPUID cores: one thread on the VMs here) or ORT-GenAI (half the hardware threads): the
        // toolkit's rule instead (CpuCores, the same rule `toolkit export` writes by default).
        var folderThreads = Config.Decoder.SessionOptions.TryGetValue("intra_op_num_threads", out var ft) ? Convert.ToInt32(ft, System.Globalization.CultureInfo.InvariantCulture) : 0;
        Native = Load(Folder, intraOpThreads is > 0 ? intraOpThreads : folderThreads > 0 && intraOpThreads is null ? null : CpuCores.DefaultIntraOpThreads, device);
        EosTokenIds = Config.EosTokenIds;
        PadTokenId = Config.PadTokenId ?? (EosTokenIds.Count > 0 ? EosTokenIds[0] : 0);
        DefaultSearch = SearchOptions.FromConfig(Config.Search);
        _tokenizer = new Lazy<CoreTokenizer>(() => CoreTokenizer.FromFolder(TokenizerFolder));
    }

    static Oga.Model Load(string folder, int? intraOpThreads, Device device)
    {
        using var config = new Oga.Config(folder);
        if (intraOpThreads is { } t)
            config.Overlay("{\"model\":{\"decoder\":{\"session_options\":{\"intra_op_num_threads\":" + t + "}}}}");
        config.ClearProviders();
        if (device == Device.Cuda) config.AppendProvider("cuda");
        try { return new Oga.Model(config); }
        catch (Oga.OnnxRuntimeGenAIException e) when (device == Device.Cuda && e.Message.Contains("cuda", StringComparison.OrdinalIgnoreCase))
        {
            throw new GenerationException(
                $"--device cuda: this build has no CUDA support ({e.Message}). HINT: reference the NuGet packages " +
                "Microsoft.ML.OnnxRuntimeGenAI.Cuda and Microsoft.ML.OnnxRuntime.Gpu.Linux instead of Microsoft.ML.OnnxRuntimeGenAI " +
                "and Microsoft.ML.OnnxRuntime (with CUDA 12 and cuDNN 9 installed), or use --device cpu", e);
        }
        catch (Oga.OnnxRuntimeGenAIException e)
        {
            throw new GenerationException($"{folder}: ORT-GenAI could not load the model: {e.Message}. HINT: re-export the folder with `toolkit export`, or check genai_config.json against the ONNX graph", e);
        }
    }

    /// <summary>Where the tokenizer files are: model.tokenizer_dir, or the folder itself.</summary>
    public string TokenizerFolder => Config.TokenizerDir is { } td ? Path.Combine(Folder, td) : Folder;

    /// <summary>The folder's tokenizer (tokenizer.json + tokenizer_config.json), loaded on first use.</summary>
    internal CoreTokenizer CoreTokenizer => _tokenizer.Value;

    /// <summary>model.type of genai_config.json ("llama", "qwen2", ...), as ORT-GenAI reports it.</summary>
    public string GetModelType() => Native.GetModelType();

    /// <summary>The context length (longest prompt + generation the model supports).</summary>
    public int ContextLength => Config.ContextLength;

    /// <summary>Generates for <paramref name="prompts"/> (see <see cref="TextGeneration.Generate"/>).</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<string> prompts, GenerationOptions? options = null) =>
        TextGeneration.Generate(this, prompts, options ?? new GenerationOptions());

    /// <summary>Releases ORT-GenAI's model.</summary>
    public void Dispose() => Native.Dispose();
}
