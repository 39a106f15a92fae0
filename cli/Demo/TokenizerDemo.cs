using Spectre.Console;
using Toolkit.Cli.Commands;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Train.Data.Synthetic;

namespace Toolkit.Cli.Demo;

/// <summary>
/// Demo step 2: the tiny preset's tokenizer is trained on the synthetic bilingual task's corpus, then one conversation
/// is rendered with the ChatML chat template, encoded, and decoded back.
/// </summary>
static class TokenizerDemo
{
    /// <summary>Trains the tokenizer into <c>workDir/tokenizer</c> and returns that folder.</summary>
    public static string Run(string workDir, SyntheticTask task, int vocabSize)
    {
        var folder = Path.Combine(workDir, "tokenizer");
        var corpus = task.TokenizerCorpus();
        var bpe = TrainTokenizerCommand.Train(corpus, vocabSize, folder);
        var tok = Tokenizer.FromFolder(folder);
        var bytes = corpus.Sum(l => System.Text.Encoding.UTF8.GetByteCount(l));
        var tokens = corpus.Sum(l => tok.Encode(l, addSpecialTokens: false).Length);
        AnsiConsole.MarkupLineInterpolated($"[bold]tokenizer[/] {bpe.ToString()} from {corpus.Count} corpus lines: {(double)bytes / tokens:F2} bytes per token");

        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(folder, "tokenizer_config.json"));
        var q = task.HeldOut()[0];
        var zh = task.HeldOut().First(x => x.Chinese != q.Chinese);
        var messages = new List<ChatMessage>
        {
            ChatMessage.User(q.Prompt), ChatMessage.Assistant(SyntheticTask.GoodAnswer(q)),
            ChatMessage.User(zh.Prompt), ChatMessage.Assistant(SyntheticTask.GoodAnswer(zh)),
        };
        var text = template.Render(messages, addGenerationPrompt: false);
        var ids = tok.Encode(text);
        var back = tok.Decode(ids);
        AnsiConsole.Write(new Panel(Markup.Escape(text.TrimEnd())).Header("chat template (ChatML)"));
        AnsiConsole.MarkupLineInterpolated($"encoded: {ids.Length} tokens [[{string.Join(", ", ids.Take(16))}, …]]; decode(encode(text)) == text: {back == text}");
        if (back != text) throw new InvalidOperationException("the trained tokenizer does not round-trip the rendered conversation");
        return folder;
    }
}
