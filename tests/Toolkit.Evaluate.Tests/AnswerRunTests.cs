using Microsoft.Extensions.AI;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Tests;

public sealed class AnswerRunTests
{
    /// <summary>A fake model that echoes which turn it is answering and the last user message.</summary>
    static FakeChatClient Echo() => new(m => $"answer #{m.Count(x => x.Role == ChatRole.User)} to <{m[^1].Text}>");

    [Fact]
    public async Task TwoTurnQuestionGetsTwoAnswersAndTurnTwoIsAskedAfterTheModelsOwnTurnOneAnswer()
    {
        using var dir = new TempDir();
        var client = Echo();
        var q = new Question("901", "math", ["Which is larger, 9 or 21? Answer with the number only.", "一天有多少小时？只用数字回答。"]);
        var options = new AnswerOptions { Model = "fake", Out = dir.File("answers/m.jsonl") };
        await new AnswerRun(client, options).RunAsync([q]);

        var record = AnswerRecord.ReadFile(options.Out)["901"];
        Assert.Equal("m", record.ModelId);
        Assert.Equal(["answer #1 to <Which is larger, 9 or 21? Answer with the number only.>", "answer #2 to <一天有多少小时？只用数字回答。>"], record.Turns);
        Assert.Equal(2, client.CallCount);
        var second = client.Calls[1].Messages;
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User], second.Select(m => m.Role));
        Assert.Equal(record.Turns[0], second[1].Text);
        // FastChat's model_answer layout, Chinese kept readable.
        var line = File.ReadAllLines(options.Out).Single();
        Assert.StartsWith("{\"question_id\":901,\"answer_id\":", line);
        Assert.Contains("\"choices\":[{\"index\":0,\"turns\":[", line);
        Assert.Contains("一天有多少小时", line);
    }

    [Theory]
    [InlineData("math", 0f, true)]
    [InlineData("coding", 0f, true)]
    [InlineData("writing", 0.7f, false)]
    [InlineData("stem", 0.1f, false)]
    [InlineData("something-else", 0.7f, false)]
    public async Task TemperatureFollowsFastChatsCategoryTableWithGreedyWhereItIsZero(string category, float temperature, bool greedy)
    {
        using var dir = new TempDir();
        var client = Echo();
        await new AnswerRun(client, new AnswerOptions { Model = "fake", Out = dir.File("a.jsonl"), Seed = 5 }).RunAsync([new Question("1", category, ["hi"])]);
        var options = client.Calls.Single().Options!;
        Assert.Equal(temperature, options.Temperature);
        Assert.Equal(greedy ? null : 5L, options.Seed);
        Assert.Equal(1024, options.MaxOutputTokens);
    }

    [Fact]
    public async Task RerunSkipsFinishedQuestionsAndDropsATornLastLine()
    {
        using var dir = new TempDir();
        var path = dir.File("a.jsonl");
        var qs = new[] { new Question("1", "math", ["a"]), new Question("2", "math", ["b"]), new Question("3", "math", ["c"]) };
        var first = Echo();
        await new AnswerRun(first, new AnswerOptions { Model = "fake", Out = path }).RunAsync(qs[..2]);
        File.AppendAllText(path, "{\"question_id\": 3, \"answer_id\": \"to");   // a run killed mid-write
        var second = Echo();
        var answered = await new AnswerRun(second, new AnswerOptions { Model = "fake", Out = path }).RunAsync(qs);
        Assert.Equal(1, answered);
        Assert.Equal("c", second.Calls.Single().Messages.Single().Text);
        Assert.Equal(["1", "2", "3"], AnswerRecord.ReadFile(path).Keys.Order());
        Assert.Equal(3, File.ReadAllLines(path).Length);
    }
}
