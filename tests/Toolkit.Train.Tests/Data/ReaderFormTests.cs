using Toolkit.Core.Templates;
using Toolkit.Train.Data;

namespace Toolkit.Train.Tests.Data;

/// <summary>Every supported form parses from its fixture, with the fields landing where they belong.</summary>
public sealed class ReaderFormTests
{
    static DataSet Read(string name)
    {
        var set = DataReader.Read(DataFixtures.File(name), OnBadRow.Fail);
        Assert.Equal(0, set.Report.BadRows);
        return set;
    }

    static string Text(ChatMessage m) => m.Content!.GetValue<string>();

    [Fact]
    public void Standard_strings()
    {
        var set = Read("standard.jsonl");
        Assert.Equal(DataForm.StandardPair, set.Form);
        Assert.Equal(3, set.Pairs.Count);
        Assert.Equal("Question: what is 2+2?\nAnswer:", set.Pairs[0].Prompt.Text);
        Assert.Equal(" 4", set.Pairs[0].Chosen.Text);
        Assert.Equal(" 狗", set.Pairs[2].Rejected.Text);
        Assert.Equal(3, set.Pairs[2].Origin.Line);
    }

    [Fact]
    public void Conversational_lists()
    {
        var set = Read("conversational.jsonl");
        Assert.Equal(DataForm.ConversationalPair, set.Form);
        var p = set.Pairs[0];
        Assert.Equal(["system", "user"], p.Prompt.Messages!.Select(m => m.Role));
        Assert.Equal("4", Text(p.Chosen.Messages!.Single()));
        Assert.Equal("三", Text(set.Pairs[1].Rejected.Messages!.Single()));
    }

    [Fact]
    public void Implicit_prompt_is_the_longest_common_prefix_of_messages()
    {
        var set = Read("implicit_messages.jsonl");
        Assert.Equal(DataForm.ImplicitPair, set.Form);
        var p = set.Pairs[0];
        Assert.Equal("Hi there", Text(p.Prompt.Messages!.Single()));
        Assert.Equal("Hello! How can I help?", Text(p.Chosen.Messages!.Single()));
        Assert.Equal("Go away.", Text(p.Rejected.Messages!.Single()));
    }

    [Fact]
    public void Implicit_prompt_of_strings_keeps_the_space_with_the_completion()
    {
        var p = Read("implicit_strings.jsonl").Pairs.Single();
        Assert.Equal("The sky is", p.Prompt.Text);
        Assert.Equal(" blue.", p.Chosen.Text);
        Assert.Equal(" green.", p.Rejected.Text);
    }

    [Fact]
    public void Ranking_builds_system_history_and_instruction_with_input()
    {
        var set = Read("ranking.jsonl");
        Assert.Equal(DataForm.RankingPair, set.Form);
        Assert.Equal("Add the numbers.\n3 and 4", Text(set.Pairs[0].Prompt.Messages!.Single()));
        Assert.Equal("7", Text(set.Pairs[0].Chosen.Messages!.Single()));
        var second = set.Pairs[1].Prompt.Messages!;
        Assert.Equal(["system", "user", "assistant", "user"], second.Select(m => m.Role));
        Assert.Equal("Name a fruit.", Text(second[^1]));
        Assert.Equal("A chair.", Text(set.Pairs[1].Rejected.Messages!.Single()));
    }

    [Fact]
    public void Unpaired_kto_with_strings_and_messages()
    {
        var set = Read("kto.jsonl");
        Assert.Equal(DataForm.Unpaired, set.Form);
        Assert.Equal([true, false, true], set.Unpaired.Select(u => u.Label));
        Assert.Equal("5", set.Unpaired[1].Completion.Text);
        Assert.True(set.Unpaired[2].Prompt.IsChat);
    }

    [Fact]
    public void Sft_messages_and_prompt_completion()
    {
        var m = Read("sft_messages.jsonl");
        Assert.Equal(DataForm.SftMessages, m.Form);
        Assert.Null(m.Sft[0].Prompt);
        Assert.Equal(5, m.Sft[0].Completion.Messages!.Count);
        var pc = Read("sft_prompt_completion.jsonl");
        Assert.Equal(DataForm.SftPromptCompletion, pc.Form);
        Assert.Equal(" 9", pc.Sft[0].Completion.Text);
        Assert.True(pc.Sft[1].Completion.IsChat);
    }

    [Fact]
    public void Csv_standard_with_quoted_multiline_cells()
    {
        var set = Read("standard.csv");
        Assert.Equal(DataForm.StandardPair, set.Form);
        Assert.Equal("What is 2+2?\nAnswer:", set.Pairs[0].Prompt.Text);
        Assert.Equal(" \"hello\"", set.Pairs[1].Chosen.Text);
        Assert.Equal("Say, hello", set.Pairs[1].Prompt.Text);
        Assert.Equal([2, 4], set.Pairs.Select(p => p.Origin.Line));   // the second record starts after the two-line one
    }

    [Fact]
    public void Csv_conversational_cells_hold_json_message_lists()
    {
        var set = Read("conversational.csv");
        Assert.Equal(DataForm.ConversationalPair, set.Form);
        Assert.Equal("2+2?", Text(set.Pairs[0].Prompt.Messages!.Single()));
        Assert.Equal("5", Text(set.Pairs[0].Rejected.Messages!.Single()));
    }

    [Fact]
    public void Csv_kto_labels_are_booleans()
    {
        var set = Read("kto.csv");
        Assert.Equal([true, false], set.Unpaired.Select(u => u.Label));
    }
}
