using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Train.Data;

namespace Toolkit.Train.Tests.Data;

/// <summary>The prompt/completion boundary is exact, BOS appears once, completions end with a trained EOS / end of turn.</summary>
public sealed class TokenizationTests
{
    static string Decode(Tokenizer t, IEnumerable<int> ids) => t.Decode(ids.ToArray(), skipSpecialTokens: false, cleanUpTokenizationSpaces: false);

    static (List<PreferenceExample> Examples, DataReport Report) Pairs(string file, Tokenizer tok, ChatTemplate? template, TokenizeOptions? options = null)
    {
        var set = DataReader.Read(DataFixtures.File(file), OnBadRow.Fail);
        var builder = new ExampleBuilder(tok, template, options, set.Report);
        return (builder.Pairs(set.Pairs), set.Report);
    }

    static void AssertExactChat(Tokenizer tok, ChatTemplate template, string file, int? eos, int? bos, IDictionary<string, object?>? vars = null)
    {
        var set = DataReader.Read(DataFixtures.File(file), OnBadRow.Fail);
        var examples = new ExampleBuilder(tok, template, new TokenizeOptions { TemplateVariables = vars }, set.Report).Pairs(set.Pairs);
        Assert.Equal(set.Pairs.Count, examples.Count);
        for (var i = 0; i < examples.Count; i++)
        {
            var (row, ex) = (set.Pairs[i], examples[i]);
            var prompt = template.Render(row.Prompt.Messages!, true, vars);
            foreach (var (completion, ids) in new[] { (row.Chosen, ex.ChosenIds), (row.Rejected, ex.RejectedIds) })
            {
                var full = template.Render([.. row.Prompt.Messages!, .. completion.Messages!], false, vars);
                var decoded = Decode(tok, ex.PromptIds.Concat(ids));
                // the template may write bos_token as text; the decoded BOS id reads the same
                Assert.Equal(full, decoded);
                Assert.Equal(prompt, Decode(tok, ex.PromptIds));
                if (eos is { } e) Assert.Contains(e, ids);
            }
            if (bos is { } b)
            {
                Assert.Equal(b, ex.PromptIds[0]);
                Assert.Single(ex.PromptIds.Concat(ex.ChosenIds), id => id == b);
            }
        }
    }

    [Fact]
    public void Trained_bpe_chatml_boundary_is_exact_and_im_end_is_trained()
    {
        var tok = DataFixtures.ChatMl();
        AssertExactChat(tok, DataFixtures.Tiny, "conversational.jsonl", tok.TokenToId("<|im_end|>"), bos: null);
        AssertExactChat(tok, DataFixtures.Tiny, "ranking.jsonl", tok.TokenToId("<|im_end|>"), bos: null);
        var (examples, _) = Pairs("conversational.jsonl", tok, DataFixtures.Tiny);
        // what the template writes after the answer is part of the completion: <|im_end|> then "\n"
        Assert.EndsWith("<|im_end|>\n", Decode(tok, examples[0].ChosenIds));
        Assert.Equal("4<|im_end|>\n", Decode(tok, examples[0].ChosenIds));
    }

    [Fact]
    public void Qwen3_tokenizer_and_template_boundary_is_exact_without_bos()
    {
        var dir = DataFixtures.Oracle("qwen3");
        var tok = Tokenizer.FromFolder(dir);
        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(dir, "tokenizer_config.json"));
        Assert.Null(tok.BosId);
        AssertExactChat(tok, template, "conversational.jsonl", tok.TokenToId("<|im_end|>"), bos: null);
        AssertExactChat(tok, template, "implicit_messages.jsonl", tok.TokenToId("<|im_end|>"), bos: null);
        AssertExactChat(tok, template, "conversational.jsonl", tok.TokenToId("<|im_end|>"), bos: null, new Dictionary<string, object?> { ["enable_thinking"] = false });
    }

    [Fact]
    public void Llama3_template_writes_bos_once_and_eot_ends_the_turn()
    {
        var dir = DataFixtures.Oracle("llama3");
        var tok = Tokenizer.FromFolder(dir);
        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(dir, "tokenizer_config.json"));
        var bos = tok.BosId!.Value;
        Assert.StartsWith("<|begin_of_text|>", template.Render([ChatMessage.User("hi")], true));   // the BOS comes from the template
        AssertExactChat(tok, template, "conversational.jsonl", tok.TokenToId("<|eot_id|>"), bos);
        var (examples, report) = Pairs("conversational.jsonl", tok, template);
        Assert.Equal(0, report.EosAppended);   // <|eot_id|> ends the turn; <|end_of_text|> is not added behind it
    }

    [Fact]
    public void Bos_is_added_once_whether_or_not_the_template_writes_it()
    {
        var tok = DataFixtures.WithBos();
        var bos = tok.BosId!.Value;
        // the trap: the template writes <s> and the post-processor adds another
        Assert.Equal(2, tok.Encode(DataFixtures.TinyWithBos.Render([ChatMessage.User("hi")], true), addSpecialTokens: true).Count(id => id == bos));
        foreach (var template in new[] { DataFixtures.Tiny, DataFixtures.TinyWithBos })
        {
            var (examples, _) = Pairs("conversational.jsonl", tok, template);
            Assert.All(examples, e =>
            {
                Assert.Equal(bos, e.PromptIds[0]);
                Assert.Equal(1, e.PromptIds.Concat(e.ChosenIds).Concat(e.RejectedIds).Count(id => id == bos));
                Assert.Contains(tok.TokenToId("<|im_end|>")!.Value, e.ChosenIds);
            });
        }
    }

    [Fact]
    public void Plain_text_pairs_get_the_eos_appended_and_decode_to_prompt_plus_completion()
    {
        foreach (var tok in new[] { DataFixtures.ChatMl(), DataFixtures.WithBos() })
        {
            var set = DataReader.Read(DataFixtures.File("standard.jsonl"));
            var examples = new ExampleBuilder(tok, null, null, set.Report).Pairs(set.Pairs);
            var eos = tok.EosId!.Value;
            for (var i = 0; i < examples.Count; i++)
            {
                var e = examples[i];
                Assert.Equal(eos, e.ChosenIds[^1]);
                Assert.Equal(eos, e.RejectedIds[^1]);
                var promptIds = tok.BosId is { } b ? e.PromptIds.Skip(1) : e.PromptIds;
                if (tok.BosId is { } bb) Assert.Equal(bb, e.PromptIds[0]);
                Assert.Equal(set.Pairs[i].Prompt.Text + set.Pairs[i].Chosen.Text, Decode(tok, promptIds.Concat(e.ChosenIds[..^1])));
            }
            Assert.Equal(6, set.Report.EosAppended);
        }
    }

    [Fact]
    public void Separate_tokenization_avoids_the_merge_at_the_boundary_and_counts_it()
    {
        var tok = Tokenizer.FromFolder(DataFixtures.Oracle("qwen3"));
        var row = new PreferenceRow(new RowOrigin("mem", 1), Segment.FromText("The capital of France is "), Segment.FromText("Paris."), Segment.FromText("Rome."));
        var report = new DataReport();
        var e = new ExampleBuilder(tok, null, null, report).Pairs([row]).Single();
        var joint = tok.Encode("The capital of France is Paris.", addSpecialTokens: false);
        Assert.False(joint.AsSpan().StartsWith(e.PromptIds));           // the trap: " Paris" merges across the boundary
        Assert.Equal(tok.Encode("The capital of France is ", false), e.PromptIds);   // prompt ids = what generation is fed
        Assert.Equal("The capital of France is Paris.", Decode(tok, e.PromptIds.Concat(e.ChosenIds[..^1])));
        Assert.Equal(2, report.BoundaryMerges);
    }

    [Fact]
    public void Prompt_truncation_keep_end_keeps_bos_and_the_last_tokens_keep_start_the_first()
    {
        var tok = DataFixtures.WithBos();
        var row = new PreferenceRow(new RowOrigin("mem", 1), Segment.FromMessages([ChatMessage.User("What is 2+2? The capital of France is Paris. The sky is blue.")]),
            Segment.FromMessages([ChatMessage.Assistant("4")]), Segment.FromMessages([ChatMessage.Assistant("5")]));
        var full = new ExampleBuilder(tok, DataFixtures.Tiny, new TokenizeOptions { MaxLength = null }).Pairs([row]).Single();
        Assert.True(full.PromptIds.Length > 12);

        var report = new DataReport();
        var end = new ExampleBuilder(tok, DataFixtures.Tiny, new TokenizeOptions { MaxPromptLength = 8, MaxLength = 64 }, report).Pairs([row]).Single();
        Assert.Equal([full.PromptIds[0], .. full.PromptIds[^7..]], end.PromptIds);
        Assert.Equal(1, report.TruncatedPrompts);
        Assert.Equal(full.ChosenIds, end.ChosenIds);

        var start = new ExampleBuilder(tok, DataFixtures.Tiny, new TokenizeOptions { MaxPromptLength = 8, MaxLength = 64, Truncation = TruncationMode.KeepStart }).Pairs([row]).Single();
        Assert.Equal(full.PromptIds[..8], start.PromptIds);
    }

    [Fact]
    public void Completions_are_cut_to_max_length_and_prompts_that_fill_it_are_dropped()
    {
        var tok = DataFixtures.ChatMl();
        var set = DataReader.Read(DataFixtures.File("conversational.jsonl"));
        var full = new ExampleBuilder(tok, DataFixtures.Tiny, new TokenizeOptions { MaxLength = null }).Pairs(set.Pairs);
        var p0 = full[0].PromptIds.Length;
        var p1 = full[1].PromptIds.Length;
        Assert.True(p0 > p1);
        var report = new DataReport();
        var cut = new ExampleBuilder(tok, DataFixtures.Tiny, new TokenizeOptions { MaxLength = p1 + 1 }, report).Pairs(set.Pairs);
        var kept = Assert.Single(cut);                                   // row 1's prompt (p0 ≥ max_length) is dropped
        Assert.Equal(2, kept.Origin.Line);
        Assert.Equal(1, report.DroppedPromptTooLong);
        Assert.Equal(full[1].ChosenIds[..1], kept.ChosenIds);
        Assert.Equal(2, report.TruncatedCompletions);
        Assert.All(cut, e => Assert.True(e.PromptIds.Length + e.ChosenIds.Length <= p1 + 1));
    }

    [Fact]
    public void Exact_duplicates_are_removed_and_counted()
    {
        var (examples, report) = Pairs("dupes.jsonl", DataFixtures.ChatMl(), null);
        Assert.Equal([1, 3], examples.Select(e => e.Origin.Line));
        Assert.Equal(2, report.Duplicates);
        var (all, _) = Pairs("dupes.jsonl", DataFixtures.ChatMl(), null, new TokenizeOptions { Dedupe = false });
        Assert.Equal(4, all.Count);
    }

    static string[] TrainedSpans(Tokenizer tok, SftExample e)
    {
        var spans = new List<string>();
        for (var i = 0; i < e.InputIds.Length; i++)
        {
            if (!e.LossMask[i]) continue;
            var j = i;
            while (j < e.InputIds.Length && e.LossMask[j]) j++;
            spans.Add(Decode(tok, e.InputIds[i..j]));
            i = j;
        }
        return [.. spans];
    }

    [Fact]
    public void Sft_conversation_mask_covers_every_assistant_turn_and_its_end_of_turn()
    {
        var tok = DataFixtures.ChatMl();
        var set = DataReader.Read(DataFixtures.File("sft_messages.jsonl"));
        var examples = new ExampleBuilder(tok, DataFixtures.Tiny, null, set.Report).Sft(set.Sft);
        Assert.Equal(["Hello.<|im_end|>\n", "4<|im_end|>\n"], TrainedSpans(tok, examples[0]));
        Assert.Equal(["你好！<|im_end|>\n"], TrainedSpans(tok, examples[1]));
        Assert.Equal(DataFixtures.Tiny.Render(set.Sft[0].Completion.Messages!, false), Decode(tok, examples[0].InputIds));

        // Qwen3's template renders the last assistant turn with an empty think block: the fallback span rule
        var dir = DataFixtures.Oracle("qwen3");
        var qtok = Tokenizer.FromFolder(dir);
        var qt = ChatTemplate.FromTokenizerConfig(Path.Combine(dir, "tokenizer_config.json"));
        var q = new ExampleBuilder(qtok, qt, null, set.Report).Sft(set.Sft);
        Assert.Equal(["Hello.<|im_end|>\n", "<think>\n\n</think>\n\n4<|im_end|>\n"], TrainedSpans(qtok, q[0]));
        Assert.Equal(qt.Render(set.Sft[0].Completion.Messages!, false), Decode(qtok, q[0].InputIds));
    }

    [Fact]
    public void Sft_prompt_completion_and_kto_keep_the_completion_apart()
    {
        var tok = DataFixtures.ChatMl();
        var set = DataReader.Read(DataFixtures.File("sft_prompt_completion.jsonl"));
        var sft = new ExampleBuilder(tok, DataFixtures.Tiny).Sft(set.Sft);
        Assert.Equal([" 9<|im_end|>"], TrainedSpans(tok, sft[0]));   // plain text: the EOS is appended
        Assert.Equal(["Yes.<|im_end|>\n"], TrainedSpans(tok, sft[1]));

        var kto = DataReader.Read(DataFixtures.File("kto.jsonl"));
        var u = new ExampleBuilder(tok, DataFixtures.Tiny).Unpaired(kto.Unpaired);
        Assert.Equal([true, false, true], u.Select(x => x.Label));
        Assert.Equal("Tokyo<|im_end|>\n", Decode(tok, u[2].CompletionIds));
    }

    [Fact]
    public void A_template_that_is_not_prefix_consistent_is_a_reported_row_not_a_wrong_boundary()
    {
        var bad = ChatTemplate.Parse("{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]:{% endif %}");
        var set = DataReader.Read(DataFixtures.File("conversational.jsonl"));
        var examples = new ExampleBuilder(DataFixtures.ChatMl(), bad, null, set.Report).Pairs(set.Pairs);
        Assert.Empty(examples);
        Assert.Equal(2, set.Report.BadRowsByKind[DataErrorKind.TemplateMismatch]);
        Assert.All(set.Report.Errors, e => Assert.Equal("chosen", e.Field));
        Assert.Throws<DataException>(() => new ExampleBuilder(DataFixtures.ChatMl(), bad, new TokenizeOptions { OnBadRow = OnBadRow.Fail }).Pairs(set.Pairs));
    }

    [Fact]
    public void Conversational_data_without_a_template_and_bad_lengths_say_what_to_do()
    {
        var set = DataReader.Read(DataFixtures.File("conversational.jsonl"));
        Assert.Contains("HINT", Assert.Throws<InvalidOperationException>(() => new ExampleBuilder(DataFixtures.ChatMl(), null).Pairs(set.Pairs)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExampleBuilder(DataFixtures.ChatMl(), null, new TokenizeOptions { MaxLength = 10, MaxPromptLength = 10 }));
    }
}
