using System.Text.Json.Nodes;
using Toolkit.Core.Templates;
using Toolkit.Train.Data;

namespace Toolkit.Train.Tests.Data;

/// <summary>
/// Every SFT, preference and KTO form of LLaMA-Factory's data/README.md (alpaca and sharegpt, with system, history and
/// tools; the OpenAI variant) reads into the same rows as TRL's forms; a row that fits no form names the closest forms
/// and what each lacks.
/// </summary>
public sealed class LlamaFactoryFormTests
{
    static DataSet Read(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tk-lf-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        try { return DataReader.Read(path, OnBadRow.Skip); }
        finally { File.Delete(path); }
    }

    static string Text(ChatMessage m) => m.Content!.GetValue<string>();

    [Fact]
    public void Alpaca_preference_with_chosen_and_rejected_is_read_as_pairs()
    {
        // the row: refused before with "field 'output' is missing"
        var set = Read("{\"instruction\": \"Which is larger, 9 or 21?\", \"input\": \"Answer with the number only.\", \"chosen\": \"21\", \"rejected\": \"The answer is 21.\"}",
                       "{\"instruction\": \"Say hi\", \"chosen\": \"hi\", \"rejected\": \"no\", \"system\": \"Be brief.\", \"history\": [[\"q0\", \"a0\"]]}");
        Assert.Equal(0, set.Report.BadRows);
        Assert.Equal(DataForm.AlpacaPair, set.Form);
        Assert.Equal("Which is larger, 9 or 21?\nAnswer with the number only.", Text(set.Pairs[0].Prompt.Messages!.Single()));
        Assert.Equal("21", Text(set.Pairs[0].Chosen.Messages!.Single()));
        Assert.Equal("The answer is 21.", Text(set.Pairs[0].Rejected.Messages!.Single()));
        Assert.Equal(["system", "user", "assistant", "user"], set.Pairs[1].Prompt.Messages!.Select(m => m.Role));
    }

    [Fact]
    public void Alpaca_sft_and_kto_rows_are_read_with_system_and_history()
    {
        var sft = Read("{\"instruction\": \"Add\", \"input\": \"2+2\", \"output\": \"4\", \"system\": \"S\", \"history\": [[\"hi\", \"hello\"]]}");
        Assert.Equal(DataForm.AlpacaSft, sft.Form);
        var conv = sft.Sft.Single().Completion.Messages!;
        Assert.Equal(["system", "user", "assistant", "user", "assistant"], conv.Select(m => m.Role));
        Assert.Equal("Add\n2+2", Text(conv[3]));
        Assert.Equal("4", Text(conv[4]));
        var kto = Read("{\"instruction\": \"Add 2+2\", \"output\": \"4\", \"kto_tag\": true}", "{\"instruction\": \"Add 2+3\", \"output\": \"6\", \"kto_tag\": false}");
        Assert.Equal(DataForm.AlpacaKto, kto.Form);
        Assert.Equal([true, false], kto.Unpaired.Select(u => u.Label));
        Assert.Equal("6", Text(kto.Unpaired[1].Completion.Messages!.Single()));
    }

    [Fact]
    public void Sharegpt_sft_preference_and_kto_rows_map_roles_and_keep_tools()
    {
        const string tools = "[{\\\"name\\\": \\\"add\\\", \\\"parameters\\\": {}}]";
        var sft = Read("{\"conversations\": [{\"from\": \"human\", \"value\": \"2+2?\"}, {\"from\": \"function_call\", \"value\": \"{\\\"name\\\": \\\"add\\\", \\\"arguments\\\": {\\\"a\\\": 2}}\"}, " +
                       "{\"from\": \"observation\", \"value\": \"4\"}, {\"from\": \"gpt\", \"value\": \"4\"}], \"system\": \"S\", \"tools\": \"" + tools + "\"}");
        Assert.Equal(0, sft.Report.BadRows);
        Assert.Equal(DataForm.ShareGptSft, sft.Form);
        var c = sft.Sft.Single().Completion;
        Assert.Equal(["system", "user", "assistant", "tool", "assistant"], c.Messages!.Select(m => m.Role));
        Assert.Equal("add", c.Messages![2].ToolCalls![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("add", ((JsonArray)c.Tools!)[0]!["name"]!.GetValue<string>());

        var pair = Read("{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}], \"chosen\": {\"from\": \"gpt\", \"value\": \"hello\"}, \"rejected\": {\"from\": \"gpt\", \"value\": \"go\"}}");
        Assert.Equal(DataForm.ShareGptPair, pair.Form);
        Assert.Equal("hello", Text(pair.Pairs.Single().Chosen.Messages!.Single()));
        var openai = Read("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"chosen\": {\"role\": \"assistant\", \"content\": \"hello\"}, \"rejected\": {\"role\": \"assistant\", \"content\": \"go\"}}");
        Assert.Equal(DataForm.ShareGptPair, openai.Form);
        Assert.Equal("go", Text(openai.Pairs.Single().Rejected.Messages!.Single()));
        var kto = Read("{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"hello\"}], \"kto_tag\": true}");
        Assert.Equal(DataForm.ShareGptKto, kto.Form);
        Assert.Equal("hi", Text(kto.Unpaired.Single().Prompt.Messages!.Single()));
    }

    [Fact]
    public void Older_ranking_output_pair_still_reads()
    {
        var set = Read("{\"instruction\": \"Q\", \"output\": [\"good\", \"bad\"]}");
        Assert.Equal(DataForm.RankingPair, set.Form);
        Assert.Equal("bad", Text(set.Pairs.Single().Rejected.Messages!.Single()));
    }

    [Fact]
    public void A_row_that_fits_no_form_names_the_closest_forms_and_what_each_lacks()
    {
        var set = Read("{\"instruction\": \"Which is larger?\", \"input\": \"9 or 21\", \"response\": \"21\"}");
        var error = Assert.Single(set.Report.Errors);
        Assert.Equal(DataErrorKind.UnknownForm, error.Kind);
        Assert.Contains("closest: LLaMA-Factory alpaca SFT form {instruction, input, output, system, history} (missing 'output')", error.Hint);
        Assert.Contains("alpaca preference form {instruction, input, chosen, rejected, system, history} (missing 'chosen', 'rejected')", error.Hint);
        // a misspelt answer field of the alpaca preference form: the hint names that form and the field, not 'output'
        var typo = Assert.Single(Read("{\"instruction\": \"Q\", \"chose\": \"21\", \"rejected\": \"The answer is 21.\"}").Report.Errors);
        Assert.Equal("chosen", typo.Field);
        Assert.Contains("alpaca preference form", typo.Hint);
    }
}
